"""Measure which kernels (op x version) and which dtypes a REAL runtime has, into an op table (*.json).

The parent builds the models (toolkit.model.builder); a self-contained child (probe_child.py: stdlib + the
runtime) loads each one. Many models go to one child; if a child dies by a signal, the model it was on is
recorded as "crashed" and a new child continues after it. Kernels are resolved before any Prepare runs, so
a crash on a dummy model still proves the kernel exists (recorded as `crashed_in_prepare`). Versions are probed 1, 2, ... and stop at the
first missing version above 1 (cap VERSION_CAP; a runtime that ignores versions, like TFLM, hits the cap).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit import __version__, children
from toolkit.errors import (
    MissingDependencyError,
    RuntimeCrashError,
    UnknownNameError,
    install_hint,
)
from toolkit.model.builder import builtin_names
from toolkit.targets.probe_child import MISSING_RUNTIME_EXIT, RUNTIME_MODULES

CHILD_SCRIPT = Path(__file__).with_name("probe_child.py")
VERSION_CAP = 16  # LiteRT 2.3 has FULLY_CONNECTED up to v13: a cap of 8 hid v9+ being missing in 2.14
TABLE_FORMAT = "edgetk.optable/1"
RUNTIMES = ("litert", "tflite-runtime", "tflm")


@dataclass
class ChildRun:
    """Results of running a manifest through child processes (restarted after crashes)."""

    results: dict[int, tuple[str, str]] = field(default_factory=dict)
    hello: dict[str, Any] = field(default_factory=dict)
    restarts: int = 0


def run_manifest(runtime: str, entries: list[dict[str, str]], python_argv: list[str] | None = None,
                 timeout: float = 900, env: dict[str, str] | None = None) -> ChildRun:
    """Feed model files to probe children until every entry has a result (crashes recorded as such).
    ``env``: the children's environment (default: this process's)."""
    argv0 = python_argv or [sys.executable]
    run = ChildRun()
    with tempfile.TemporaryDirectory(prefix="edgetk-probe-") as tmp:
        manifest, results = Path(tmp) / "manifest.json", Path(tmp) / "results.jsonl"
        manifest.write_text(json.dumps(entries))
        start = 0
        while start < len(entries):
            proc = children.run(
                [*argv0, str(CHILD_SCRIPT), "--runtime", runtime, "--manifest", str(manifest),
                 "--results", str(results), "--start", str(start)],
                timeout=timeout, what=f"the {runtime} probe child", env=env,
            )  # a hung child's group is killed at the timeout: the model it was on is recorded as crashed
            if proc.returncode == MISSING_RUNTIME_EXIT and not results.exists():
                module = RUNTIME_MODULES[runtime]
                raise MissingDependencyError(f"the {runtime} runtime ({module}) for the probe", install_hint(module))
            started = _read_results(results, run)
            if proc.ok:
                break
            crashed = started if started is not None and started not in run.results else None
            if crashed is None:
                raise RuntimeCrashError(f"probe child for {runtime} failed before any model: {proc.why()}")
            run.results[crashed] = ("crashed", proc.why())
            run.restarts += 1
            start = crashed + 1
    return run


def _read_results(path: Path, run: ChildRun) -> int | None:
    last_start = None
    lines = path.read_text().splitlines() if path.is_file() else []  # a child may die before writing
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:  # the last line of a child killed mid-write
            continue
        if event["event"] == "hello":
            run.hello = event
        elif event["event"] == "start":
            last_start = event["i"]
        elif event["event"] == "result":
            run.results[event["i"]] = (event["status"], event["detail"])
    return last_start


def _write_models(directory: Path, models: list[tuple[str, bytes]], mode: str) -> list[dict[str, str]]:
    entries = []
    for key, data in models:
        path = directory / f"{key}.tflite"
        path.write_bytes(data)
        entries.append({"path": str(path), "mode": mode, "key": key})
    return entries


def _probe_kernels(runtime: str, work: Path, python_argv: list[str] | None) -> tuple[dict[str, Any], ChildRun]:
    from toolkit.targets.probe_models import kernel_probe_model, probe_codes

    names = builtin_names()
    ops: dict[str, dict[str, Any]] = {names[c]: {"code": c, "versions": [], "status": "missing"} for c in probe_codes()}
    pending = [(c, v) for c in probe_codes() for v in (1, 2)]
    last = ChildRun()
    while pending:
        models = [(f"{names[c]}.v{v}", kernel_probe_model(c, v)) for c, v in pending]
        last = run_manifest(runtime, _write_models(work, models, "kernel"), python_argv)
        nxt = []
        for i, (code, version) in enumerate(pending):
            status, detail = last.results[i]
            entry = ops[names[code]]
            if status == "crashed":
                # Both runtimes resolve every op's kernel before any Prepare runs, so a crash (not a clean
                # "missing" error) means the kernel exists and died on the probe's dummy tensors.
                entry["crashed_in_prepare"] = sorted({*entry.get("crashed_in_prepare", []), version})
            if status in ("present", "crashed"):
                entry["versions"].append(version)
                entry["status"] = "present"
                if version == VERSION_CAP:
                    entry["capped"] = True
                elif version >= 2:
                    nxt.append((code, version + 1))
            elif version == 1 and status == "missing":
                entry["detail"] = detail
        pending = sorted(set(nxt))
    for entry in ops.values():
        entry["versions"] = sorted(set(entry["versions"]))
        if entry["status"] == "present":
            entry.pop("detail", None)
    return ops, last


def _probe_dtypes(runtime: str, work: Path, python_argv: list[str] | None) -> dict[str, Any]:
    from toolkit.targets.probe_models import dtype_cases

    cases = dtype_cases()
    models = [(f"dtype-{c.op}-{c.dtype}", c.build()) for c in cases]
    run = run_manifest(runtime, _write_models(work, models, "run"), python_argv)
    table: dict[str, Any] = {}
    for i, case in enumerate(cases):
        status, detail = run.results[i]
        entry = table.setdefault(case.op, {"accepted": [], "rejected": {}})
        if status == "ok":
            entry["accepted"].append(case.dtype)
        else:
            entry["rejected"][case.dtype] = detail or status
    return table


#: custom ops probed by name: MediaPipe's, TFLite's own custom-registered kernels, and a name nobody registers
CUSTOM_OP_NAMES = (
    "Convolution2DTransposeBias", "MaxPoolingWithArgmax2D", "MaxUnpooling2D", "TransformLandmarks",
    "TransformTensorBilinear", "Landmarks2TransformMatrix", "TFLite_Detection_PostProcess", "AudioSpectrogram",
    "Mfcc", "NumericVerify", "SinCos", "RandomUniform", "RandomStandardNormal", "Multinomial", "EdgetkTestOp",
)  # fmt: skip


def _probe_constraints(runtime: str, work: Path, python_argv: list[str] | None) -> dict[str, Any]:
    """Kernel parameter constraints (toolkit.targets.constraints): each variant a valid one-op model, run.

    Stored as {op: {feature: {value: "ok" | the runtime's own error text}}}."""
    from toolkit.targets.probe_constraints import constraint_cases

    cases = constraint_cases()
    models = [(f"constraint-{c.op}-{c.feature}-{c.value}", c.build()) for c in cases]
    run = run_manifest(runtime, _write_models(work, models, "run"), python_argv)
    table: dict[str, Any] = {}
    for i, case in enumerate(cases):
        status, detail = run.results[i]
        values = table.setdefault(case.op, {}).setdefault(case.feature, {})
        values[case.value] = "ok" if status == "ok" else (detail or status)
    return table


def _probe_custom_ops(runtime: str, work: Path, python_argv: list[str] | None) -> dict[str, Any]:
    """Which custom ops the runtime's default resolver registers: a one-op model per name, allocated and
    invoked. A crash also proves registration (the op's own Init/Prepare ran on the probe's dummy tensors)."""
    from toolkit.model.builder import custom_op_model

    models = [(f"custom-{name}", custom_op_model(name)) for name in CUSTOM_OP_NAMES]
    run = run_manifest(runtime, _write_models(work, models, "custom"), python_argv)
    table: dict[str, Any] = {}
    for i, name in enumerate(CUSTOM_OP_NAMES):
        status, detail = run.results[i]
        entry: dict[str, Any] = {"status": "missing" if status == "missing" else "registered"}
        if status == "registered-by-delegate":
            entry["via"] = "xnnpack"  # float graphs with the default XNNPACK delegate only
            entry["detail"] = detail
        if status == "crashed":
            entry["crashed_in_prepare"] = True
        if status == "missing":
            entry["detail"] = detail
        table[name] = entry
    return table


def probe_runtime(runtime: str, python_argv: list[str] | None = None) -> dict[str, Any]:
    """Probe one runtime (the one importable by `python_argv`, default this interpreter) -> op table dict."""
    if runtime not in RUNTIMES:
        raise UnknownNameError("runtime", runtime, list(RUNTIMES))
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="edgetk-probe-models-") as tmp:
        ops, run = _probe_kernels(runtime, Path(tmp), python_argv)
        dtypes = _probe_dtypes(runtime, Path(tmp), python_argv)
        custom_ops = _probe_custom_ops(runtime, Path(tmp), python_argv)
        constraints = _probe_constraints(runtime, Path(tmp), python_argv)
    hello = run.hello
    return {
        "format": TABLE_FORMAT,
        "runtime": {"name": runtime, "version": hello.get("version", "unknown")},
        "probed_on": {"machine": hello.get("machine"), "python": hello.get("python")},
        "probe_date": started.strftime("%Y-%m-%d"),
        "probe_seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "edgetk_version": __version__,
        "version_cap": VERSION_CAP,
        "ops": ops,
        "dtypes": dtypes,
        "custom_ops": custom_ops,
        "constraints": constraints,
    }


def write_table(table: dict[str, Any], out_dir: Path) -> Path:
    from toolkit.fileio import write_text

    return write_text(out_dir / f"{table['runtime']['name']}.json", json.dumps(table, indent=1, sort_keys=True) + "\n")


def probe_runtimes(names: Sequence[str], out_dir: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """`edgetk targets probe`: probe each runtime (all when ``names`` is empty) and write its table to
    ``out_dir``; yields (table, path) as each one is written, so a caller can report them one by one."""
    for name in names or RUNTIMES:
        table = probe_runtime(name)
        yield table, write_table(table, out_dir)
