"""`check --verify` for the GPU delegate: LiteRT's GPU accelerator (WebGPU on SwiftShader) runs the model in
a child, and its answer replaces the op-table GPU verdict of every target with a measured gpu delegate.

The prediction stays beside the evidence (``DelegateVerdict.predicted``); a contradiction is a finding
named "gpu_prediction_wrong" and a PREDICTION WRONG line. The run also compares GPU and LiteRT CPU
outputs on seeded inputs (tolerance: toolkit.runtimes.gpu_accelerator, docs/GPU.md). The accelerator runs
once per model, whatever the number of targets; a missing Vulkan driver is MissingDependencyError (exit 3).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from toolkit.errors import RuntimeCrashError
from toolkit.model import TfliteModel
from toolkit.runtimes.gpu_accelerator import PROVENANCE, GpuRun, run_gpu_accelerator
from toolkit.targets.check import DOES_NOT_RUN, FALLBACK, RUNS, TargetVerdict
from toolkit.targets.delegate_verdict import DelegateVerdict
from toolkit.targets.finding import Finding
from toolkit.targets.schema import TargetDescriptor

LABEL = "LiteRT GPU accelerator (WebGPU on SwiftShader)"
GPU_RULES = {"delegate_fallback", "delegate_refuses_graph", "custom_op_on_delegate"}
MIN_TIMEOUT = 60.0  # the accelerator compiles its shaders first: seconds on SwiftShader for big models


def has_measured_gpu(target: TargetDescriptor) -> bool:
    return any(d.name == "gpu" and d.op_table for d in target.delegates)


def require_gpu_driver(targets: list[TargetDescriptor]) -> None:
    """MissingDependencyError (exit 3, one line) when a target needs the accelerator and no Vulkan ICD exists."""
    if any(has_measured_gpu(t) for t in targets):
        from toolkit.runtimes.gpu_accelerator import find_vulkan_icd

        find_vulkan_icd()


def measured_verdict(run: GpuRun, predicted: DelegateVerdict) -> DelegateVerdict:
    numerics = {"passed": run.numerics_passed, "outputs": [n.__dict__ for n in run.numerics],
                "tolerance": run.to_dict()["numerics_tolerance"], "enforce_f32": run.enforce_f32}
    return DelegateVerdict("gpu", run.coverage or predicted.coverage, run.ops_on_cpu, run.partitions,
                           "accelerator-run", run.reasons, f"LiteRT {run.litert_version} GPU, {run.evidence}",
                           predicted=predicted, numerics=numerics)


def _gpu_findings(model: TfliteModel, measured: DelegateVerdict, run: GpuRun) -> list[Finding]:
    out = []
    first = {}
    for op in model.operators():
        first.setdefault(op.name, op)
    reasons = {r.op: r.message for r in measured.reasons}
    if measured.coverage == "refused":
        out.append(Finding("delegate_refuses_graph", "fallback",
                           "gpu delegate REFUSES this whole model (accelerator-run: dynamic-sized tensors): an app "
                           "that enables it gets an error at load, not a CPU fallback"))
    for name in measured.ops_on_cpu:
        op = first.get(name)
        out.append(Finding("delegate_fallback", "fallback", f"gpu delegate: {name} runs on the CPU (accelerator-run: "
                           f"{reasons.get(name) or 'no reason given'})", name, op.subgraph if op else None,
                           op.index if op else None))
    predicted = measured.predicted
    if measured.prediction_wrong and predicted is not None:
        out.append(Finding("gpu_prediction_wrong", "warning",
                           f"PREDICTION WRONG (gpu delegate): the op table predicted {predicted.coverage} "
                           f"{predicted.ops_on_cpu}, the accelerator did {measured.coverage} {measured.ops_on_cpu}"))
    if run.numerics_passed is False:
        bad = [n for n in run.numerics if not n.passed]
        worst = max(bad, key=lambda n: n.max_abs)
        out.append(Finding("gpu_numerics_differ", "warning",
                           f"GPU outputs DIFFER from LiteRT CPU: {len(bad)} of {len(run.numerics)} outputs out of "
                           f"tolerance (worst '{worst.name}': max |diff| {worst.max_abs:.3g}, output range "
                           f"{worst.cpu_max_abs_value:.3g})"))
    return out


def _outcome(run: GpuRun | None, error: str | None) -> Any:
    from toolkit.targets.runtime_outcome import NOT_TRIED, RuntimeOutcome

    if run is None or run.coverage is None:
        return RuntimeOutcome("litert-gpu", LABEL, "litert-gpu", PROVENANCE, NOT_TRIED, kind="crashed" if run is None
                              else "load-failed", message=error or (run.error if run else None))
    if run.coverage == "refused":
        return RuntimeOutcome("litert-gpu", LABEL, f"litert-gpu {run.litert_version}", PROVENANCE, DOES_NOT_RUN,
                              kind="gpu-refused", message="the GPU delegate refused the whole graph (dynamic-sized "
                              "tensors); the CPU path is unaffected")
    return RuntimeOutcome("litert-gpu", LABEL, f"litert-gpu {run.litert_version}", PROVENANCE, RUNS,
                          message=f"{run.coverage} on the GPU, {run.partitions} partition(s)")


def gpu_attempt(model: TfliteModel, seed: int = 0, timeout: float = MIN_TIMEOUT) -> tuple[GpuRun | None, str | None]:
    """One accelerator run of the model (in its own child): the run, or the error that stopped it."""
    try:
        return run_gpu_accelerator(model.path, timeout=max(timeout, MIN_TIMEOUT), seed=seed), None
    except RuntimeCrashError as exc:
        return None, exc.message


def verify_delegates(model: TfliteModel, results: list[TargetVerdict], targets: dict[str, TargetDescriptor],
                     seed: int = 0, timeout: float = MIN_TIMEOUT, attempt: Any = None) -> list[TargetVerdict]:
    """``results`` with the GPU verdict of each target with a measured gpu delegate replaced by the
    accelerator's, the prediction kept beside it, and the gpu findings re-derived from the evidence.
    ``attempt``: a future of ``gpu_attempt`` started earlier (verify runs it beside the CPU tries)."""
    if not any(has_measured_gpu(targets[r.target]) for r in results):
        return results
    run, error = attempt.result() if attempt is not None else gpu_attempt(model, seed, timeout)
    out = []
    for r in results:
        if not has_measured_gpu(targets[r.target]):
            out.append(r)
            continue
        outcomes = [*r.outcomes, _outcome(run, error)]
        predicted = next((d for d in r.delegates if d.name == "gpu"), None)
        if run is None or run.coverage is None or predicted is None:
            out.append(replace(r, outcomes=outcomes))
            continue
        measured = measured_verdict(run, predicted)
        kept = [f for f in r.findings if not (f.rule in GPU_RULES and f.message.lower().startswith(("gpu ", "the gpu ")))]
        if run.coverage != "refused":
            kept = [f for f in kept if not (f.rule == "custom_op" and f.op not in run.ops_on_cpu)]
        findings = kept + _gpu_findings(model, measured, run)
        verdict = r.verdict
        if verdict != DOES_NOT_RUN:
            verdict = FALLBACK if any(f.severity == "fallback" for f in findings) else RUNS
        delegates = [measured if d.name == "gpu" else d for d in r.delegates]
        out.append(replace(r, verdict=verdict, findings=findings, delegates=delegates, outcomes=outcomes))
    return out
