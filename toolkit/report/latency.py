"""Latency side by side: both models on each target, interleaved rounds, a noise-aware verdict.

Each round benches both models with the same runner and the same seeded inputs, in A,B then B,A order
(ABBA...), so slow drift (thermal throttling, a neighbour's load, qemu's JIT warming) hits both models
alike. A round's median is one sample; the verdict (``verdicts.latency_verdict``) looks at min/median/max
of those samples, never at one number.

A target where a model cannot run is not timed: the support check says so beforehand (``cannot_run``),
and a runtime that crashes or hangs mid-bench ends that target only. Either way the target gets a
``LatencySkip`` (a finding) and the comparison goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import RuntimeCrashError
from toolkit.report.verdicts import LatencyStats, latency_verdict

DEFAULT_BENCH_TARGET = "host-x86_64"


@dataclass(frozen=True)
class BenchPlan:
    """How to bench a comparison. ``targets`` empty = the comparison's targets; ``device`` from devices.toml."""

    targets: tuple[str, ...] = ()
    device: str | None = None
    rounds: int = 4
    runs: int = 20
    warmup: int = 3


@dataclass
class LatencyRow:
    target: str
    device: str | None
    new: LatencyStats
    old: LatencyStats
    ratio: float
    verdict: str  # "slower" | "faster" | "same"
    emulated: bool = False
    samples: dict[str, list[float]] = field(default_factory=dict)  # every timed run, for distributions

    def message(self, threshold: float) -> str:
        where = self.target + (f" ({self.device})" if self.device else "") + (" [emulated]" if self.emulated else "")
        return (f"{where}: new median {self.new.median:.3f} ms vs old {self.old.median:.3f} ms "
                f"(x{self.ratio:.2f}, threshold {threshold:.0%}): {self.verdict}")

    def to_dict(self) -> dict:
        return {
            "target": self.target, "device": self.device, "emulated": self.emulated, "ratio": self.ratio,
            "verdict": self.verdict, "new": self.new.to_dict(), "old": self.old.to_dict(), "samples_ms": self.samples,
        }


def bench_round(model_path: str, target: Any, plan: BenchPlan, seed: int = 0) -> tuple[float, list[float], bool]:
    """One bench run with the shared runner and seeded inputs: (median ms, samples ms, emulated?).

    The runner reports statistics, not every sample, so a round contributes its p50 as its sample.
    """
    from toolkit.bench import BenchOptions, bench_model

    result = bench_model(model_path, target, device=plan.device,
                         options=BenchOptions(runs=plan.runs, warmup=plan.warmup, seed=seed))
    lat = result.latency_ms
    samples = [float(s) for s in lat.get("samples", [])] or [float(lat["p50"])]
    return float(lat["p50"]), samples, bool(result.emulated)


@dataclass(frozen=True)
class LatencySkip:
    """A target the comparison did not time, and why. ``side``: which model could not run ("new" | "old" |
    "both"); ``severity`` "regression" only when the new model crashed where the old one ran."""

    target: str
    side: str
    message: str
    severity: str = "warning"

    def to_finding(self) -> dict:
        return {"severity": self.severity, "kind": "latency-skipped", "target": self.target, "side": self.side,
                "message": self.message}


def bench_targets(plan: BenchPlan, targets: list[str]) -> tuple[str, ...]:
    """The targets a plan times: its own, else the comparison's, else the host."""
    return tuple(plan.targets) or tuple(targets) or (DEFAULT_BENCH_TARGET,)


def compare_latency(
    new_path: str, old_path: str, plan: BenchPlan, targets: list[str], threshold: float,
    *, cannot_run: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[LatencyRow], list[LatencySkip]]:
    """Bench both models on every target in interleaved rounds and give each target a verdict.

    ``cannot_run``: target -> (side "new" | "old" | "both", why) for targets the support check ruled out.
    """
    from toolkit.targets import load_registry

    registry = load_registry()
    rows: list[LatencyRow] = []
    skips: list[LatencySkip] = []
    for target in bench_targets(plan, targets):
        if cannot_run and target in cannot_run:
            side, reason = cannot_run[target]
            skips.append(LatencySkip(target, side, f"not benchmarked on {target}: {reason}"))
            continue
        outcome = _bench_target(new_path, old_path, registry.get(target), plan, threshold)
        (rows if isinstance(outcome, LatencyRow) else skips).append(outcome)
    return rows, skips


def _bench_target(new_path: str, old_path: str, descriptor: Any, plan: BenchPlan, threshold: float) -> LatencyRow | LatencySkip:
    """All rounds on one target; a crash or hang of either model ends this target with a ``LatencySkip``."""
    medians: dict[str, list[float]] = {"new": [], "old": []}
    samples: dict[str, list[float]] = {"new": [], "old": []}
    emulated = False
    paths = {"new": new_path, "old": old_path}
    for r in range(plan.rounds):
        for tag in (("new", "old") if r % 2 == 0 else ("old", "new")):
            try:
                median, runs, emu = bench_round(paths[tag], descriptor, plan)
            except RuntimeCrashError as exc:
                return _crash_skip(descriptor, tag, exc, paths, plan, ran_other=bool(medians[_other(tag)]))
            medians[tag].append(median)
            samples[tag].extend(runs)
            emulated = emulated or emu
    new, old = LatencyStats(tuple(medians["new"])), LatencyStats(tuple(medians["old"]))
    verdict, ratio = latency_verdict(new, old, threshold)
    return LatencyRow(descriptor.name, plan.device, new, old, ratio, verdict, emulated, samples)


def _other(tag: str) -> str:
    return "old" if tag == "new" else "new"


def _crash_skip(descriptor: Any, tag: str, exc: RuntimeCrashError, paths: dict[str, str], plan: BenchPlan,
                *, ran_other: bool) -> LatencySkip:
    """Which side failed, and whether that makes a regression (the new model failing where the old one runs).

    When the new model fails before the old one has run at all, the old one gets one round to find out.
    """
    target = descriptor.name
    other = _other(tag)
    other_runs = ran_other
    if not ran_other:
        try:
            bench_round(paths[other], descriptor, plan)
            other_runs = True
        except RuntimeCrashError:
            other_runs = False
    head = f"not benchmarked on {target}: "
    if not other_runs:
        return LatencySkip(target, "both", head + f"both models failed during the bench ({exc})")
    severity = "regression" if tag == "new" else "warning"
    return LatencySkip(target, tag, head + f"the {tag} model failed during the bench, the {other} one ran ({exc})",
                       severity)
