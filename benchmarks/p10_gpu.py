"""P10: the static GPU verdict against LiteRT's own GPU accelerator (WebGPU on SwiftShader), and what each costs.

For every model of the corpus (the third-party MediaPipe / microWakeWord files, the issue cases that P9
converts, the MLPerf Tiny architectures and GPU-specific models built here) the op-table verdict
(`toolkit.targets.gpu_verdict.predict_gpu`, no runtime) is compared with the accelerator's run
(`run_gpu_accelerator`, a child): coverage class (full / partial / refused) and the set of op types left
to the CPU must both be equal. Models the accelerator cannot load at all (a custom op without any kernel,
a file its CompiledModel loader rejects) have no GPU answer and are listed, not counted. `--verify` takes
the accelerator's answer, so its agreement is 100% by construction; the figure is the static rate.

    python -m benchmarks.run --only P10 --rounds 3 --write docs/PERFORMANCE.md
    python -m benchmarks.p10_gpu          # the agreement table alone
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Context, Row, Section, Spread

TITLE = "static GPU verdict vs LiteRT's GPU accelerator (WebGPU on SwiftShader): agreement and cost"
GOAL_AGREEMENT = 95.0


def corpus() -> dict[str, Path]:
    from benchmarks.mlperf_tiny_models import ensure_models
    from benchmarks.p9_verify import corpus as p9_corpus
    from toolkit.model import builder
    from toolkit.targets.gpu_probe_models import _gather, _reshape_runtime_shape

    models = p9_corpus()
    models.update({f"mlperf/{k}": v for k, v in ensure_models().items()})
    out = Path(tempfile.mkdtemp(prefix="edgetk-p10-"))
    for name, make in {"gather_2d_indices": lambda: _gather([1, 3]), "reshape_runtime_shape": _reshape_runtime_shape,
                       "resource_variables": builder.resource_variable_model}.items():
        path = out / f"{name}.tflite"
        path.write_bytes(make())
        models[f"built/{name}"] = path
    return models


def agreement(models: dict[str, Path]) -> dict[str, object]:
    from toolkit.model import load_model
    from toolkit.paths import shipped_targets_dir
    from toolkit.runtimes.gpu_accelerator import run_gpu_accelerator
    from toolkit.targets.gpu_verdict import load_gpu_table, predict_gpu

    table = load_gpu_table(shipped_targets_dir() / "optables" / "litert-gpu.json")
    rows, static_s, run_s = [], [], []
    for name, path in sorted(models.items()):
        started = time.perf_counter()
        with load_model(path) as model:
            predicted = predict_gpu(model, table)
        static_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        run = run_gpu_accelerator(path, numerics=True)
        run_s.append(time.perf_counter() - started)
        rows.append((name, predicted, run))
    counted = [(n, p, r) for n, p, r in rows if r.coverage is not None]
    agree = [n for n, p, r in counted if (p.coverage, p.ops_on_cpu) == (r.coverage, r.ops_on_cpu)]
    return {"rows": rows, "counted": counted, "agree": agree, "static_s": static_s, "run_s": run_s}


def _table(result: dict[str, object]) -> str:
    lines = ["| model | static (op table) | accelerator run | numerics GPU vs CPU |", "|---|---|---|---|"]
    for name, p, r in result["rows"]:  # type: ignore[attr-defined]
        seen = f"{r.coverage} {r.ops_on_cpu}" if r.coverage else f"no answer: {(r.error or '')[:60]}"
        mark = "" if r.coverage is None or (p.coverage, p.ops_on_cpu) == (r.coverage, r.ops_on_cpu) else " **WRONG**"
        num = {True: "pass", False: "**FAIL**", None: "-"}[r.numerics_passed]
        lines.append(f"| {name} | {p.coverage} {p.ops_on_cpu}{mark} | {seen} | {num} |".replace("'", ""))
    return "\n".join(lines) + "\n"


_CAVEAT = ("Backend: the accelerator's WebGPU backend on SwiftShader (a phone runs the same ML Drift engine "
           "through OpenCL/Vulkan: op checks largely shared, not guaranteed identical). Caveat: this corpus was "
           "also where the probe's parameter variants were found (GATHER index rank, rank-5 tensors, WHILE "
           "outputs made dynamic, DEQUANTIZE of DENSIFY); the variants are single-op models built from those "
           "descriptions, not taken from the corpus, but a model family not seen here can still disagree.")


def measure(ctx: Context) -> Section:
    result = agreement(corpus())
    counted, agree = result["counted"], result["agree"]
    rate = 100.0 * len(agree) / len(counted) if counted else 0.0  # type: ignore[arg-type]
    rate_row = Row("P10", f"static GPU verdict = accelerator (coverage class and CPU op types), {len(counted)} "
                   "models the accelerator answered", Spread((rate,)), unit="%",  # type: ignore[arg-type]
                   goal=f"≥ {GOAL_AGREEMENT:g}% (--verify: 100% by construction)", met=rate >= GOAL_AGREEMENT,
                   note=f"{len(agree)}/{len(counted)}")  # type: ignore[arg-type]
    cost = Row("P10", "static GPU verdict per model (load + predict, in process)",
               Spread(tuple(result["static_s"])), Spread(tuple(result["run_s"])),  # type: ignore[arg-type]
               "the accelerator run per model (child, shader compile + 1 run + CPU reference)")
    text = (f"{_CAVEAT}\n\n" + _table(result))
    return Section("P10", TITLE, [rate_row, cost], text)


if __name__ == "__main__":
    res = agreement(corpus())
    n, a = len(res["counted"]), len(res["agree"])  # type: ignore[arg-type]
    print(f"static GPU verdict = accelerator on {a}/{n} models ({100.0 * a / max(n, 1):.1f}%)")
    print(_table(res))
    sys.exit(0)
