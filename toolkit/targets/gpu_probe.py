"""Measure what LiteRT's GPU accelerator takes, into toolkit/targets/shipped/optables/litert-gpu.json.

Every builtin op LiteRT's CPU has a kernel for, at each of its versions, plus the parameter variants of
`gpu_probe_models.variant_cases`, is loaded with the GPU enabled (never run) in a child
(`toolkit/targets/probe_child.py --runtime litert-gpu`); the accelerator's own stderr says whether it took the op
and, if not, its reason line. A child that dies is restarted after the model it was on ("crashed").
The table is stamped with the LiteRT version and the backend (`EVIDENCE`), so a table measured through
a phone's OpenCL backend later can sit beside it.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.runtimes.gpu_accelerator import (
    EVIDENCE,
    accelerator_env,
    find_vulkan_icd,
    parse_delegate_log,
)  # fmt: skip
from toolkit.targets.gpu_probe_models import op_case_model, variant_cases
from toolkit.targets.optable import load_op_table, table_path
from toolkit.targets.probe import run_manifest

GPU_TABLE_FORMAT = "edgetk.gpu-optable/1"
GPU_TABLE_NAME = "litert-gpu.json"
UNSUPPORTED = "Operation is not supported."
REFUSED = "Failed to modify graph with delegate"
STATIC_ONLY_REFUSAL = ("Attempting to use a delegate that only supports static-sized tensors with a graph that "
                       "has dynamic-sized tensors")
NOT_PREPARED = "not measured: the probe's dummy model did not pass the CPU kernel's Prepare"


def _run_manifest(paths: list[Path], timeout: float) -> tuple[dict[int, dict[str, Any]], str]:
    """Results by manifest index (a child crash recorded as such) and the LiteRT version the child reported."""
    icd = find_vulkan_icd()
    with tempfile.TemporaryDirectory(prefix="edgetk-gpu-probe-") as tmp:
        runtime_dir = Path(tmp) / "xdg"
        runtime_dir.mkdir(mode=0o700)
        run = run_manifest("litert-gpu", [{"path": str(p), "mode": "kernel"} for p in paths], timeout=timeout,
                           env=accelerator_env(icd, runtime_dir))
    results = {}
    for i, (status, detail) in run.results.items():
        results[i] = {"crashed": detail} if status == "crashed" else json.loads(detail)
    return results, run.hello.get("version", "unknown")


def classify(op: str, result: dict[str, Any]) -> dict[str, Any]:
    """One probe result -> {"status": taken|cpu|refused|crashed, "reason": the accelerator's line}."""
    if "crashed" in result:
        return {"status": "crashed", "reason": result["crashed"]}
    log = parse_delegate_log(result.get("stderr", ""))
    if log.refused:
        return {"status": "refused", "reason": log.refused}
    mine = [r.message or UNSUPPORTED for r in log.reasons if r.op == op]
    if mine:
        return {"status": "cpu", "reason": "; ".join(dict.fromkeys(mine))}
    if result.get("fully_accelerated") or log.partitions or log.reasons:  # checked and not listed: taken
        return {"status": "taken", "reason": ""}
    if "failed to prepare" in result.get("stderr", ""):
        return {"status": "unprobed", "reason": NOT_PREPARED}
    if REFUSED in (result.get("load_error") or ""):
        # LiteRT prints the static-size line once per process: later refusals in the same child are silent
        return {"status": "refused", "reason": STATIC_ONLY_REFUSAL}
    error = result.get("load_error") or "not delegated and no reason printed"
    return {"status": "cpu", "reason": error}


def probe_gpu(timeout: float = 1800, only: set[str] | None = None) -> dict[str, Any]:
    """Probe the accelerator installed for this interpreter -> the GPU op table (a JSON-able dict).
    ``only``: probe just these op names (op cases and variants), e.g. for a quick check."""
    cpu_table = load_op_table(table_path("litert.json"))
    started = datetime.now(UTC)
    op_cases = [(op, v) for op in cpu_table.supported_ops() for v in cpu_table.ops[op].get("versions", [1])
                if only is None or op in only]
    variants = [v for v in variant_cases() if only is None or v.op in only]
    with tempfile.TemporaryDirectory(prefix="edgetk-gpu-probe-models-") as tmp:
        paths = []
        for op, version in op_cases:
            paths.append(Path(tmp) / f"{op}.v{version}.tflite")
            paths[-1].write_bytes(op_case_model(op, version))
        for i, case in enumerate(variants):
            paths.append(Path(tmp) / f"variant{i}.tflite")
            paths[-1].write_bytes(case.build())
        results, version = _run_manifest(paths, timeout)
    ops: dict[str, dict[str, Any]] = {}
    for i, (op, v) in enumerate(op_cases):
        ops.setdefault(op, {"versions": {}})["versions"][str(v)] = classify(op, results.get(i, {"crashed": "no result"}))
    for entry in ops.values():
        entry["status"] = _op_status(entry["versions"])
    table_variants = {}
    for j, case in enumerate(variants):
        table_variants[case.key] = {"op": case.op, **classify(case.op, results.get(len(op_cases) + j, {"crashed": "no result"}))}
    return {
        "format": GPU_TABLE_FORMAT,
        "runtime": {"name": "litert-gpu", "version": version},
        "backend": EVIDENCE,
        "probe_date": started.strftime("%Y-%m-%d"),
        "probe_seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "edgetk_version": __version__,
        "note": ("op cases are dummy single-op float models (a parser / version check answers them); "
                 "variants are valid models for the parameter checks. Backend: WebGPU on SwiftShader, "
                 "not a phone's OpenCL backend."),
        "ops": ops,
        "variants": table_variants,
    }


def _op_status(versions: dict[str, dict[str, Any]]) -> str:
    """unsupported: no parser at any version; taken (at some version); unprobed (no valid dummy); else
    conditional (a parameter check refused the dummy: real models may pass it)."""
    statuses = {v["status"] for v in versions.values()}
    reasons = {v["reason"] for v in versions.values()}
    if statuses == {"cpu"} and reasons == {UNSUPPORTED}:
        return "unsupported"
    if "taken" in statuses:
        return "taken"
    return "unprobed" if statuses == {"unprobed"} else "conditional"


def write_gpu_table(table: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / GPU_TABLE_NAME
    path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    return path
