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
from toolkit.provenance import EMULATED, ESTIMATED, GATING_TIMINGS, MEASURED
from toolkit.report import documents
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
    timeout: float = 600.0  # seconds each bench round's child may take (a hang is then a finding, not a wait)


@dataclass
class LatencyRow:
    """Both models on one target. ``timing`` is the provenance of the timed rounds (measured, emulated,
    host-run, software-gpu); an MCU target also has ``estimate`` (the MCU cycle model, per model), and then
    the verdict is the estimate's, because the rounds are TFLM on this host's CPU.

    Its ``edgetk.compare/1`` part (``documents.LatencyRow``) is declared by hand, not generated: the
    document puts the derived ``verdict_timing`` between stored fields in compare's key order, holds the
    rounds as RoundStats (not LatencyStats) and names ``samples`` ``samples_ms``."""

    target: str
    device: str | None
    new: LatencyStats
    old: LatencyStats
    ratio: float
    verdict: str  # "slower" | "faster" | "same"
    emulated: bool = False
    samples: dict[str, list[float]] = field(default_factory=dict)  # every timed run, for distributions
    timing: str = MEASURED
    estimate: dict[str, float] | None = None  # {"new_ms", "old_ms"}: MCU estimate of each model

    @property
    def verdict_timing(self) -> str:
        """Where the figure the verdict is on came from: "estimated" for an MCU target, else ``timing``."""
        return ESTIMATED if self.estimate else self.timing

    @property
    def gating(self) -> bool:
        """Whether a "slower" verdict is a regression: only on measured or estimated figures."""
        return self.verdict_timing in GATING_TIMINGS

    def message(self, threshold: float) -> str:
        where = self.target + (f" ({self.device})" if self.device else "")
        if self.estimate:
            figures = (f"new {self.estimate['new_ms']:.4g} ms vs old {self.estimate['old_ms']:.4g} ms estimated "
                       f"(MCU cycle model; host-run TFLM medians {self.new.median:.3f} vs {self.old.median:.3f} ms)")
        else:
            figures = f"new median {self.new.median:.3f} ms vs old {self.old.median:.3f} ms {self.timing}"
        tail = "" if self.gating else f" — {self.timing} timing: relative comparison only, not a regression"
        return f"{where}: {figures} (x{self.ratio:.2f}, threshold {threshold:.0%}): {self.verdict}{tail}"

    def to_model(self) -> documents.LatencyRow:
        """Its part of ``edgetk.compare/1``."""
        return documents.LatencyRow(
            target=self.target, device=self.device, emulated=self.emulated, timing=self.timing,
            verdict_timing=self.verdict_timing, estimate=documents.Estimate(**self.estimate) if self.estimate else None,
            ratio=self.ratio, verdict=self.verdict, new=documents.RoundStats(**self.new.to_dict()),
            old=documents.RoundStats(**self.old.to_dict()), samples_ms=self.samples)

    def to_dict(self) -> dict:
        return self.to_model().model_dump()


@dataclass(frozen=True)
class BenchRound:
    """One bench run: its median, every timed sample, the samples' provenance and the MCU estimate if any."""

    median_ms: float
    samples_ms: list[float]
    timing: str
    estimate_ms: float | None = None


def bench_round(model_path: str, target: Any, plan: BenchPlan, seed: int = 0) -> BenchRound:
    """One bench run with the shared runner and seeded inputs."""
    from toolkit.bench import BenchOptions, bench_model

    result = bench_model(model_path, target, device=plan.device,
                         options=BenchOptions(runs=plan.runs, warmup=plan.warmup, seed=seed, timeout=plan.timeout))
    lat = result.latency_ms
    samples = [float(s) for s in lat.get("samples", [])] or [float(lat["p50"])]
    estimate = (result.mcu_estimate or {}).get("latency_ms")
    return BenchRound(float(lat["p50"]), samples, result.timing, float(estimate) if estimate is not None else None)


@dataclass(frozen=True)
class LatencySkip:
    """A target the comparison did not time, and why. ``side``: which model could not run ("new" | "old" |
    "both"); ``severity`` "regression" only when the new model crashed where the old one ran. ``observed``: the
    bench ran the side(s) and saw them fail (evidence), not a target the support check ruled out beforehand."""

    target: str
    side: str
    message: str
    severity: str = "warning"
    observed: bool = False

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
    estimates: dict[str, float] = {}
    timing = MEASURED
    paths = {"new": new_path, "old": old_path}
    for r in range(plan.rounds):
        for tag in (("new", "old") if r % 2 == 0 else ("old", "new")):
            try:
                one = bench_round(paths[tag], descriptor, plan)
            except RuntimeCrashError as exc:
                return _crash_skip(descriptor, tag, exc, paths, plan, ran_other=bool(medians[_other(tag)]))
            medians[tag].append(one.median_ms)
            samples[tag].extend(one.samples_ms)
            timing = one.timing
            if one.estimate_ms is not None:
                estimates[tag] = one.estimate_ms
    new, old = LatencyStats(tuple(medians["new"])), LatencyStats(tuple(medians["old"]))
    estimate = {"new_ms": estimates["new"], "old_ms": estimates["old"]} if len(estimates) == 2 else None
    if estimate:  # deterministic figures: the ratio alone decides
        verdict, ratio = latency_verdict(LatencyStats((estimate["new_ms"],)), LatencyStats((estimate["old_ms"],)),
                                         threshold)
    else:
        verdict, ratio = latency_verdict(new, old, threshold)
    return LatencyRow(descriptor.name, plan.device, new, old, ratio, verdict, timing == EMULATED, samples, timing,
                      estimate)


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
        return LatencySkip(target, "both", head + f"both models failed during the bench ({exc})", observed=True)
    severity = "regression" if tag == "new" else "warning"
    return LatencySkip(target, tag, head + f"the {tag} model failed during the bench, the {other} one ran ({exc})",
                       severity, observed=True)
