"""Latency side by side: both models on each target, interleaved rounds, a noise-aware verdict.

Each round benches both models with the same runner and the same seeded inputs, in A,B then B,A order
(ABBA...), so slow drift (thermal throttling, a neighbour's load, qemu's JIT warming) hits both models
alike. A round's median is one sample; the verdict (``verdicts.latency_verdict``) looks at min/median/max
of those samples, never at one number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.report.verdicts import LatencyStats, latency_verdict


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


def compare_latency(new_path: str, old_path: str, plan: BenchPlan, targets: list[str], threshold: float) -> list[LatencyRow]:
    """Bench both models on every target in interleaved rounds and give each target a verdict."""
    from toolkit.targets import load_registry

    registry = load_registry()
    rows = []
    for target in plan.targets or tuple(targets) or ("host-x86_64",):
        descriptor = registry.get(target)
        medians: dict[str, list[float]] = {"new": [], "old": []}
        samples: dict[str, list[float]] = {"new": [], "old": []}
        emulated = False
        for r in range(plan.rounds):
            order = (("new", new_path), ("old", old_path)) if r % 2 == 0 else (("old", old_path), ("new", new_path))
            for tag, path in order:
                median, runs, emu = bench_round(path, descriptor, plan)
                medians[tag].append(median)
                samples[tag].extend(runs)
                emulated = emulated or emu
        new, old = LatencyStats(tuple(medians["new"])), LatencyStats(tuple(medians["old"]))
        verdict, ratio = latency_verdict(new, old, threshold)
        rows.append(LatencyRow(target, plan.device, new, old, ratio, verdict, emulated, samples))
    return rows
