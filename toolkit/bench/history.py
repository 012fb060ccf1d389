"""Results over time: the p50 trend of a model on a target, and regression detection between stored results.

A result is compared only with the previous result of the same setup (model sha256, target, device, runtime
and version, timing options: ``ResultRecord.same_setup``), so a change means the environment changed (a new
runtime, a slower device, a noisy neighbour), not the model. The figure compared is the headline latency
with its provenance; an estimated figure is deterministic (ratio only), a timed one must also clear the
previous run's spread (the new best run slower than the old median) so noise is never a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from toolkit.bench.stats import MIN_LATENCY_DIFF_MS
from toolkit.bench.store import ResultRecord, ResultsStore
from toolkit.errors import BadInputError
from toolkit.provenance import ESTIMATED, GATING_TIMINGS

TREND_SCHEMA = "edgetk.results-trend/1"


@dataclass(frozen=True)
class LatencyChange:
    """How ``current`` compares with ``previous`` (same setup): "slower" | "faster" | "same"."""

    previous_id: int
    current_id: int
    previous_ms: float
    current_ms: float
    ratio: float
    verdict: str
    timing: str
    threshold: float

    @property
    def regression(self) -> bool:
        return self.verdict == "slower"

    @property
    def gating(self) -> bool:
        """A regression a CI gate may fail on: measured or estimated figures only."""
        return self.regression and self.timing in GATING_TIMINGS

    def message(self) -> str:
        what = {"slower": "slower", "faster": "faster", "same": "no change beyond noise"}[self.verdict]
        relative = "" if self.timing in GATING_TIMINGS else " (relative comparison only)"
        return (f"p50 {self.current_ms:.4g} ms vs {self.previous_ms:.4g} ms in result {self.previous_id} "
                f"(same model, target, runtime, options; {self.timing}{relative}): x{self.ratio:.2f}, "
                f"{what} (threshold {self.threshold:.0%})")

    def to_dict(self) -> dict[str, Any]:
        return {"previous_id": self.previous_id, "current_id": self.current_id, "previous_p50_ms": self.previous_ms,
                "current_p50_ms": self.current_ms, "ratio": round(self.ratio, 4), "verdict": self.verdict,
                "timing": self.timing, "threshold": self.threshold, "regression": self.regression,
                "gating": self.gating, "message": self.message()}  # fmt: skip


def latency_change(previous: ResultRecord, current: ResultRecord, threshold: float = 0.1) -> LatencyChange | None:
    """The change of the headline latency between two results of the same setup; None without figures."""
    old, new = previous.headline_p50_ms, current.headline_p50_ms
    if old is None or new is None or old <= 0 or previous.headline_timing != current.headline_timing:
        return None
    ratio = new / old
    timed = current.headline_timing != ESTIMATED
    old_lat, new_lat = previous.runner.get("latency_ms") or {}, current.runner.get("latency_ms") or {}

    def beyond_noise(slower: bool) -> bool:
        if not timed:
            return True
        if abs(new - old) < MIN_LATENCY_DIFF_MS:  # below what timing invoke() from Python resolves
            return False
        if slower:  # the new best run is slower than the old median (and the mirror image for faster)
            return float(new_lat.get("min", new)) > float(old_lat.get("p50", old))
        return float(new_lat.get("max", new)) < float(old_lat.get("p50", old))

    verdict = "same"
    if ratio > 1 + threshold and beyond_noise(True):
        verdict = "slower"
    elif ratio < 1 / (1 + threshold) and beyond_noise(False):
        verdict = "faster"
    return LatencyChange(previous.id, current.id, old, new, ratio, verdict, current.headline_timing, threshold)


def previous_of(records: list[ResultRecord], current: ResultRecord) -> ResultRecord | None:
    """The latest record stored before ``current`` with the same setup."""
    earlier = [r for r in records if r.id < current.id and r.same_setup(current)]
    return earlier[-1] if earlier else None


def change_since_previous(store: ResultsStore, record_id: int, threshold: float = 0.1) -> LatencyChange | None:
    """`bench` after storing a result: how it compares with the previous result of the same setup."""
    current = store.get(record_id)
    previous = previous_of(store.list(target=current.target), current)
    return latency_change(previous, current, threshold) if previous else None


@dataclass(frozen=True)
class TrendPoint:
    record: ResultRecord
    change: LatencyChange | None

    def to_dict(self) -> dict[str, Any]:
        r = self.record
        return {"id": r.id, "created_at": r.created_at, "model_sha256": r.model_sha256, "device": r.device,
                "runtime": f"{r.runtime or ''} {r.runtime_version or ''}".strip(),
                "p50_ms": None if r.headline_p50_ms is None else round(r.headline_p50_ms, 4),
                "timing": r.headline_timing, "change": self.change.to_dict() if self.change else None}


@dataclass(frozen=True)
class Trend:
    model: str
    target: str
    points: list[TrendPoint]
    threshold: float

    @property
    def latest_regression(self) -> LatencyChange | None:
        """The last result's change when it is a regression on a measured or estimated figure (exit 1)."""
        last = self.points[-1].change if self.points else None
        return last if last and last.gating else None

    def to_dict(self) -> dict[str, Any]:
        return {"schema": TREND_SCHEMA, "model": self.model, "target": self.target, "threshold": self.threshold,
                "points": [p.to_dict() for p in self.points],
                "regression": self.latest_regression.to_dict() if self.latest_regression else None}


def latency_trend(store: ResultsStore, model: str, target: str, *, since: str | None = None,
                  threshold: float = 0.1) -> Trend:
    """Every stored result of ``model`` (name, path or sha prefix) on ``target``, oldest first, each with its
    change against the previous result of the same setup."""
    all_on_target = store.list(target=target)
    mine = {r.id for r in store.list(target=target, model=model, since=since)}
    if not mine:
        raise BadInputError(f"no stored results of {model} on {target} in {store.path} "
                            f"(see `edgetk results list --target {target}`)")
    points = []
    for record in (r for r in all_on_target if r.id in mine):
        previous = previous_of(all_on_target, record)
        points.append(TrendPoint(record, latency_change(previous, record, threshold) if previous else None))
    return Trend(model, target, points, threshold)


def parse_since(text: str | None, now: datetime | None = None) -> str | None:
    """``--since``: "7d", "12h", "30m" back from now, or an ISO date/time; the ISO string stored rows compare to."""
    if not text:
        return None
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[-1:] in units and text[:-1].isdigit():
        moment = (now or datetime.now(UTC)) - timedelta(**{units[text[-1]]: int(text[:-1])})
        return moment.isoformat(timespec="seconds")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"--since {text!r}: give an ISO date (2026-12-01), a time (2026-12-01T09:30) "
                            "or an age (7d, 12h, 30m)") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
