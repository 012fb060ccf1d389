"""Latency statistics and roofline efficiency, shared by bench, compare and the performance suite.

The runner computes the same statistics on the device (it cannot import edgetk); these helpers are for
host-side checks and for combining samples. Percentiles use linear interpolation (numpy's default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

STAT_KEYS = ("min", "mean", "p50", "p90", "p99", "max", "std")
#: Below this a median difference is not resolvable by timing ``invoke()`` from Python (call overhead and
#: timer jitter are microseconds): a 0.001 ms model "30 % slower" is noise, never a verdict.
MIN_LATENCY_DIFF_MS = 0.01


@dataclass(frozen=True)
class LatencyStats:
    """Milliseconds over ``runs`` timed inferences."""

    runs: int
    min: float
    mean: float
    p50: float
    p90: float
    p99: float
    max: float
    std: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(samples_ms: Sequence[float]) -> LatencyStats:
    values = np.asarray(samples_ms, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no latency samples")
    p50, p90, p99 = (float(v) for v in np.percentile(values, [50, 90, 99]))
    return LatencyStats(
        runs=int(values.size), min=float(values.min()), mean=float(values.mean()), p50=p50, p90=p90, p99=p99,
        max=float(values.max()), std=float(values.std()),
    )  # fmt: skip


#: What benchmark_model's count line gives (no p90/p99; p50 is its median=, p5/p95 in newer releases)
TOOL_STAT_KEYS = ("min", "mean", "p50", "max", "std")


def stats_problems(latency: Mapping[str, Any], required: tuple[str, ...] = STAT_KEYS) -> list[str]:
    """Why a latency block (the runner's "latency_ms", or benchmark_model's with ``TOOL_STAT_KEYS``) is not
    sane; empty when it is."""
    missing = [k for k in required if not isinstance(latency.get(k), int | float)]
    if missing:
        return [f"missing {', '.join(missing)}"]
    problems = []
    order = [latency[k] for k in ("min", "p5", "p50", "p90", "p95", "p99", "max")
             if isinstance(latency.get(k), int | float) and (k in required or k in ("p5", "p95"))]
    if any(a > b + 1e-9 for a, b in zip(order, order[1:], strict=False)):
        problems.append("percentiles out of order (min <= p50 <= p90 <= p99 <= max violated)")
    if not latency["min"] - 1e-9 <= latency["mean"] <= latency["max"] + 1e-9:
        problems.append("mean outside [min, max]")
    if latency["min"] < 0 or latency["std"] < 0:
        problems.append("negative latency or std")
    return problems


@dataclass(frozen=True)
class Roofline:
    """How close a measured latency comes to the descriptor's peak MAC rate (compute roof only)."""

    total_macs: int
    peak_macs_per_s: float
    ideal_ms: float
    measured_ms: float
    efficiency: float  # ideal / measured, 0..1 (above 1 means the descriptor's peak is too low)

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def roofline(total_macs: int, clock_hz: float, macs_per_cycle: float, measured_ms: float, cores: int = 1) -> Roofline:
    peak = clock_hz * macs_per_cycle * max(cores, 1)
    ideal_ms = total_macs / peak * 1e3
    efficiency = ideal_ms / measured_ms if measured_ms > 0 else 0.0
    return Roofline(int(total_macs), peak, ideal_ms, float(measured_ms), efficiency)


def roofline_block(roof: Roofline, timing: str) -> dict[str, Any]:
    """The `roofline` block of a bench result. ``timing`` says what ``latency_ms`` (the latency the efficiency
    is against) is: "measured" on the device, "emulated" (qemu-user: relative only) or "estimated" (the MCU
    cycle model for TFLM targets, because TFLM's host-run timing is an x86's, not the MCU's). An estimated
    block has no ``measured_ms``, so nothing can mistake it for a measurement."""
    block: dict[str, Any] = dict(roof.to_dict(), latency_ms=roof.measured_ms, timing=timing,
                                 emulated=timing == "emulated", estimated=timing == "estimated")  # fmt: skip
    if timing == "estimated":
        del block["measured_ms"]
    return block
