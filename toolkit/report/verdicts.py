"""The rules that turn a new-vs-old comparison into findings and one regression verdict.

Pure functions over plain numbers and strings, so CI gating is easy to test and to explain
(docs/REPORTS.md quotes these rules). A regression is any of:
  * a target where the old model runs and the new one does not;
  * the new model slower beyond the threshold AND beyond the measured noise (``latency_verdict``);
  * outputs that differ beyond tolerance (new vs old, or new vs the reference outputs).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np

from toolkit.bench.stats import MIN_LATENCY_DIFF_MS

RUNNING = frozenset({"runs", "delegate-fallback"})


@dataclass(frozen=True)
class LatencyStats:
    """Per-round medians (ms) of one model on one target: min/median/max over the rounds."""

    rounds_ms: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.rounds_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.rounds_ms)

    @property
    def max(self) -> float:
        return max(self.rounds_ms)

    def to_dict(self) -> dict:
        return {"min_ms": self.min, "median_ms": self.median, "max_ms": self.max, "rounds_ms": list(self.rounds_ms)}


def latency_verdict(new: LatencyStats, old: LatencyStats, threshold: float,
                    min_diff_ms: float = MIN_LATENCY_DIFF_MS) -> tuple[str, float]:
    """("slower" | "faster" | "same", ratio of medians new/old).

    Slower only when the median ratio exceeds 1 + threshold AND the ranges do not overlap: even the new
    model's best round is slower than the old model's worst round. Runs are interleaved (A,B,B,A,...)
    so drift hits both equally; what is left of noise shows as overlap, and overlap is never a verdict.
    Faster is the mirror image. A median difference under ``min_diff_ms`` is never a verdict.
    """
    ratio = new.median / old.median if old.median > 0 else float("inf")
    resolvable = abs(new.median - old.median) >= min_diff_ms
    if ratio > 1 + threshold and new.min > old.max and resolvable:
        return "slower", ratio
    if ratio < 1 / (1 + threshold) and new.max < old.min and resolvable:
        return "faster", ratio
    return "same", ratio


def target_cells(row: dict) -> tuple[str | None, str | None]:
    """The new and old verdict of one compare target row as printed: a verdict the bench decided says so and
    keeps check's prediction beside it ("does-not-run (bench; predicted runs)", or "(numerics; ...)"); one the run
    confirmed says which run ("runs (numerics)"); a bare verdict is check's prediction (the op tables)."""
    cells = []
    for side in ("new", "old"):
        verdict, predicted = row[f"{side}_verdict"], row.get(f"predicted_{side}_verdict")
        evidence = row.get("evidence") or "static"
        overturned = evidence != "static" and predicted is not None and predicted != verdict
        ran = evidence != "static" and verdict is not None
        cells.append(f"{verdict} ({evidence}; predicted {predicted})" if overturned
                     else f"{verdict} ({evidence})" if ran else verdict)
    return cells[0], cells[1]


def support_change(new_verdict: str | None, old_verdict: str | None) -> str:
    """"regression" | "improvement" | "unchanged" | "no-baseline" for one target's check verdicts."""
    if old_verdict is None:
        return "no-baseline"
    new_runs, old_runs = new_verdict in RUNNING, old_verdict in RUNNING
    if old_runs and not new_runs:
        return "regression"
    if new_runs and not old_runs:
        return "improvement"
    return "unchanged"


def within_tolerance(actual: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> bool:
    """numpy.allclose's rule, element by element: |actual - expected| <= atol + rtol * |expected|."""
    return bool(np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)))


def overall_verdict(findings: list[dict]) -> str:
    """"regression" when any finding has severity "regression", else "pass"."""
    return "regression" if any(f.get("severity") == "regression" for f in findings) else "pass"
