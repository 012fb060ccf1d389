"""benchmark_model's output parsed as LiteRT documents it (tflite/tools/benchmark/README.md, benchmark_model.cc).

The two samples in tests/bench/data/ follow the documented formats line for line (numbers are ours): the
current release (INFO: prefix, p5/median/p95 on the count line, memory delta + periodic peak, the op-profiling
tables with a [start] column and ``:NODE`` names) and the older one ("Average inference timings in us: Warmup,
Init, Inference", "Peak memory footprint", no [start] column).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.bench.benchmark_model import benchmark_argv, parse_benchmark_output, profiler_per_op
from toolkit.bench.per_op import complete_per_op
from toolkit.errors import DeviceError

DATA = Path(__file__).parent / "data"


def test_current_release_output_becomes_ms_figures_memory_and_the_regular_runs_op_table() -> None:
    doc = parse_benchmark_output((DATA / "benchmark_model_current.txt").read_text())
    assert doc["init_ms"] == 21.5 and doc["first_inference_ms"] == 9.12 and doc["warmup_mean_ms"] == 7.1205
    assert doc["inference_avg_ms"] == pytest.approx(6.99025)
    lat = doc["latency_ms"]
    assert lat["runs"] == 50  # the timed runs' count line, not the warm-up's (40)
    assert (lat["min"], lat["p50"], lat["max"], lat["p95"]) == (6.801, 6.94, 8.102, 7.42)
    assert doc["memory_mb"] == {"init": 8.25, "overall": 14.5, "peak": 19.75}
    ops = doc["op_profile"]  # the regular runs only: not the initialization table, not "Top by ..."
    assert [(o["index"], o["op"], o["ms"]) for o in ops] == [
        (0, "QUANTIZE", 0.11), (63, "TfLiteXNNPackDelegate", 6.15), (62, "SOFTMAX", 0.69)]


def test_older_release_output_is_read_too() -> None:
    doc = parse_benchmark_output((DATA / "benchmark_model_legacy.txt").read_text())
    assert doc["init_ms"] == 38.467 and doc["first_inference_ms"] is None
    assert doc["inference_avg_ms"] == pytest.approx(79.7609) and doc["latency_ms"]["runs"] == 50
    assert doc["latency_ms"]["p50"] is None  # that release printed no median: none is invented
    assert doc["memory_mb"]["overall"] == 40.25 and doc["memory_mb"]["peak"] is None
    assert [(o["index"], o["op"], o["ms"]) for o in doc["op_profile"]] == [(0, "CONV_2D", 4.269),
                                                                           (1, "DEPTHWISE_CONV_2D", 2.15)]


def test_output_without_the_summary_line_is_a_device_error_naming_the_last_line() -> None:
    with pytest.raises(DeviceError, match="no 'Inference timings in us' line: ERROR: Could not open 'x.tflite'"):
        parse_benchmark_output("STARTING!\nERROR: Could not open 'x.tflite'.\n")


def test_profiler_rows_become_the_measured_per_op_document_with_its_ratio() -> None:
    doc = parse_benchmark_output((DATA / "benchmark_model_current.txt").read_text())
    per_op = complete_per_op(profiler_per_op(doc), doc["inference_avg_ms"], "measured")
    assert per_op["source"] == "profiler" and per_op["timing"] == "measured"
    assert per_op["sum_ms"] == pytest.approx(6.95) and per_op["ratio"] == pytest.approx(6.95 / 6.99025)
    assert "profiler" in per_op["note"]


def test_argv_carries_the_documented_flags() -> None:
    opts = SimpleNamespace(runs=20, warmup=0, threads=4, xnnpack=False, accelerator="gpu", per_op=True)
    argv = benchmark_argv("/data/local/tmp/benchmark_model", "m.tflite", opts)
    assert argv == ["/data/local/tmp/benchmark_model", "--graph=m.tflite", "--num_runs=20", "--warmup_runs=1",
                    "--use_xnnpack=false", "--use_gpu=true", "--enable_op_profiling=true", "--num_threads=4"]
