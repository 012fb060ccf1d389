"""Timing harness for the performance suite: repeated child-process runs, min/median/max, peak RSS.

Figures are always ratios against an anchor measured in the same run, because these machines are noisy;
each figure is reported with its spread, never as a single number.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class Spread:
    """min / median / max over repeated runs (seconds or any unit)."""

    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def fmt(self, unit: str = "s", scale: float = 1.0, digits: int = 3) -> str:
        return (f"{self.min * scale:.{digits}f} / {self.median * scale:.{digits}f} / "
                f"{self.max * scale:.{digits}f} {unit}")


def run_child(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None) -> Sample:
    """Run argv once; wall time and the child's own peak RSS (wait4, so other children do not count)."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):  # 1 = a failing verdict, still a measurement
        raise RuntimeError(f"{argv[:4]} failed ({proc.returncode}): {stderr.strip()[-300:]}")
    return Sample(seconds=elapsed, peak_rss_mb=usage.ru_maxrss / 1024)


def repeat(fn: Callable[[], Sample], n: int) -> tuple[Spread, Spread]:
    """Interleave-friendly: call fn n times, return (seconds spread, peak RSS spread)."""
    samples = [fn() for _ in range(n)]
    return Spread(tuple(s.seconds for s in samples)), Spread(tuple(s.peak_rss_mb for s in samples))


def interleave(fns: dict[str, Callable[[], Sample]], rounds: int) -> dict[str, list[Sample]]:
    """Run each candidate once per round, alternating, so machine drift hits all of them alike."""
    out: dict[str, list[Sample]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            out[name].append(fn())
    return out


def spread(samples: list[Sample]) -> Spread:
    return Spread(tuple(s.seconds for s in samples))


def rss(samples: list[Sample]) -> Spread:
    return Spread(tuple(s.peak_rss_mb for s in samples))
