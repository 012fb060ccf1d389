"""Benchmark orchestration, statistics, the SQLite results store and the MCU latency estimate.

``bench_model`` is what `edgetk bench` calls; scripts and other areas use the same function.
"""

from toolkit.bench.finding import BenchFinding
from toolkit.bench.orchestrate import BENCH_SCHEMA, BenchOptions, BenchResult, bench_model
from toolkit.bench.store import ResultRecord, ResultsStore, ResultsStoreError

__all__ = [
    "BENCH_SCHEMA",
    "BenchFinding",
    "BenchOptions",
    "BenchResult",
    "ResultRecord",
    "ResultsStore",
    "ResultsStoreError",
    "bench_model",
]
