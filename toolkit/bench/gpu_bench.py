"""`bench --accelerator gpu`: a model through LiteRT's GPU accelerator on this machine (WebGPU on
SwiftShader), as a BenchResult like every other bench.

What it is good for: the partitions the accelerator makes, and GPU-vs-CPU numerics on seeded inputs.
What it is not: a phone's GPU latency. Every latency figure carries timing "software-gpu" and its note
(toolkit.provenance: "software GPU (SwiftShader) — not a phone's latency") in the JSON, the
results store, the terminal and the HTML report.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from toolkit.bench.finding import BenchFinding
from toolkit.bench.orchestrate import BenchOptions, BenchResult, require_gpu_delegate
from toolkit.bench.stats import summarize
from toolkit.errors import BadInputError, RuntimeCrashError
from toolkit.provenance import SOFTWARE_GPU
from toolkit.runtimes.gpu_accelerator import LATENCY_LABEL, PROVENANCE, GpuRun, run_gpu_accelerator


def _findings(run: GpuRun) -> tuple[BenchFinding, ...]:
    out = []
    if run.coverage == "refused":
        out.append(BenchFinding("gpu-refused", "error", "the GPU delegate refused the whole model (dynamic-sized "
                                "tensors): an app enabling it gets an error at load; no GPU latency exists"))
    elif run.coverage == "partial":
        ops = ", ".join(run.ops_on_cpu) or "unlisted ops"
        out.append(BenchFinding("gpu-partial", "warning", f"partially on the GPU: {run.gpu_ops} ops on the GPU, "
                                f"{run.cpu_ops} on the CPU ({ops}); the latency mixes both"))
    if run.numerics_passed is False:
        bad = [n for n in run.numerics if not n.passed]
        worst = max(bad, key=lambda n: n.max_abs)
        out.append(BenchFinding("gpu-numerics", "error", f"GPU outputs DIFFER from LiteRT CPU: {len(bad)} of "
                                f"{len(run.numerics)} outputs out of tolerance (worst '{worst.name}': max |diff| "
                                f"{worst.max_abs:.3g} vs output range {worst.cpu_max_abs_value:.3g})"))
    return tuple(out)


def bench_gpu(model_path: Path | str, target: Any, *, options: BenchOptions | None = None) -> BenchResult:
    """Run ``model_path`` through the accelerator ``options.runs`` times (after warm-up) for ``target``
    (which must have a gpu delegate). A refused model is a result with no latency, not an exception."""
    from toolkit.model import load_model

    require_gpu_delegate(target)
    options = options or BenchOptions()
    if options.inputs:  # the accelerator run feeds seeded inputs: refuse the user's rather than ignore them
        raise BadInputError("--accelerator gpu feeds seeded inputs (--seed); --inputs is not used there: drop "
                            "it, or bench on the CPU runtime without --accelerator")
    model_path = Path(model_path)
    model = load_model(model_path)
    run = run_gpu_accelerator(model_path, timeout=options.timeout, seed=options.seed, runs=options.runs,
                              warmup=options.warmup)
    if run.coverage is None:
        raise RuntimeCrashError(f"LiteRT GPU accelerator could not run {model_path.name}: {run.error}")
    runner: dict[str, Any] = {
        "runtime": {"name": "litert-gpu", "version": run.litert_version, "backend": run.evidence},
        "device": {"arch": platform.machine(), "cpu_model": (run.adapter or "SwiftShader").split(",")[0]},
        "provenance": PROVENANCE, "latency_label": LATENCY_LABEL,
        "init_ms": run.load_ms, "accelerator": run.to_dict(),
    }
    if run.latency_ms:
        runner["latency_ms"] = {**summarize(run.latency_ms).to_dict(), "samples": [round(v, 5) for v in run.latency_ms],
                                "truncated_by_max_seconds": False, "timing": SOFTWARE_GPU}
    return BenchResult(
        model_path=str(model_path), model_sha256=model.sha256, model_size=model.size_bytes, target=target.name,
        device=None, transport="local", emulated=False, runner=runner, options=options, findings=_findings(run),
        timing=SOFTWARE_GPU,
    )
