#!/usr/bin/env python3
"""edgetk device-side runner: load a .tflite model, time it, print ONE JSON document on stdout.

Every transport (local, qemu emulator, TFLM host, SSH, adb) copies this one file to the device and runs it,
so every device is measured the same way. It must stay self-contained: stdlib + numpy + whichever of
ai_edge_litert / tflite_runtime / tflite_micro is installed there; no edgetk imports; Python 3.11 with
Debian's numpy 1.24 (no numpy-2-only APIs). The document schema is in docs/schemas/runner.md.

Failures print a JSON document with an "error" object and exit non-zero (2 bad input, 3 runtime missing,
4 runtime failure), so the host can turn them into one clear line. Progress markers on stderr
("edgetk-runner: phase=...") tell the host what was running when a native crash kills the process.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import hashlib
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time

SCHEMA = "edgetk.runner/1"
EXIT_BAD_INPUT = 2
EXIT_MISSING_RUNTIME = 3
EXIT_RUNTIME_FAILED = 4
DEFAULT_TFLM_ARENA = 64 * 1024 * 1024  # untouched pages are never resident; the measured use is reported


class RunnerError(Exception):
    def __init__(self, kind: str, message: str, exit_code: int, op: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.exit_code = exit_code
        self.op = op


def phase(name: str) -> None:
    """Mark progress on stderr so a crash (signal) can be attributed to a phase by the host."""
    sys.stderr.write(f"edgetk-runner: phase={name}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- device facts
def _read(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace").strip("\x00\n ")
    except OSError:
        return ""


def device_facts() -> dict:
    cpuinfo = _read("/proc/cpuinfo")
    cpu_model = ""
    for key in ("model name", "Model", "Hardware", "Processor", "cpu model"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        if match:
            cpu_model = match.group(1).strip()
            break
    import numpy

    return {
        "arch": platform.machine(),
        "cpu_model": cpu_model,
        "board": _read("/proc/device-tree/model"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "system": platform.system(),
    }


# ---------------------------------------------------------------- runtimes
def _dist_version(*names: str) -> str:
    from importlib import metadata

    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


#: the PyPI package of each runtime: the fix a "missing-runtime" error names
INSTALL = {"litert": "ai-edge-litert", "tflite-runtime": "tflite-runtime", "tflm": "tflite-micro"}


def load_runtime(requested: str) -> tuple[str, object]:
    """Import the runtime module; "auto" tries LiteRT then tflite-runtime (TFLM only when asked)."""
    order = ["litert", "tflite-runtime"] if requested == "auto" else [requested]
    problems = []
    for name in order:
        try:
            if name == "litert":
                from ai_edge_litert import interpreter as module
            elif name == "tflite-runtime":
                from tflite_runtime import interpreter as module
            elif name == "tflm":
                from tflite_micro.python.tflite_micro import runtime as module
            else:
                raise RunnerError("bad-input", f"unknown runtime '{name}'", EXIT_BAD_INPUT)
            return name, module
        except ImportError as exc:
            problems.append(f"{name}: {exc}")
    install = " or ".join(f"`pip install {INSTALL[n]}`" for n in order if n in INSTALL)
    raise RunnerError("missing-runtime", "no usable runtime (" + "; ".join(problems) + ")"
                      + (f"; install it with {install}" if install else ""), EXIT_MISSING_RUNTIME)


def runtime_version(name: str) -> str:
    return {
        "litert": lambda: _dist_version("ai-edge-litert", "ai_edge_litert"),
        "tflite-runtime": lambda: _dist_version("tflite-runtime", "tflite_runtime"),
        "tflm": lambda: _dist_version("tflite-micro", "tflite_micro"),
    }[name]()


_MISSING_OP = re.compile(r"Didn't find op for builtin opcode '([A-Z0-9_]+)'")
_MISSING_REG = re.compile(r"Failed to get registration from op code ([A-Z0-9_]+)")
_MISSING_CUSTOM = re.compile(r"unresolved custom op: ([\w.-]+?)\.?$", re.MULTILINE)
_NODE_FAILED = re.compile(r"Node (?:number \d+ \(([A-Z0-9_]+)\)|([A-Z0-9_]+) \(number \d+\)) failed")


def classify_runtime_error(exc: BaseException, stage: str) -> RunnerError:
    """Name the op in a runtime's error text when it says which (missing kernels above all)."""
    text = str(exc).strip() or type(exc).__name__
    for pattern in (_MISSING_OP, _MISSING_REG, _MISSING_CUSTOM):
        match = pattern.search(text)
        if match:
            return RunnerError("missing-kernel", text.splitlines()[0], EXIT_RUNTIME_FAILED, op=match.group(1))
    match = _NODE_FAILED.search(text)
    op = (match.group(1) or match.group(2)) if match else None
    first = next((line for line in text.splitlines() if line.strip()), text)
    return RunnerError(f"{stage}-failed", first[:500], EXIT_RUNTIME_FAILED, op=op)


class TfliteSession:
    """LiteRT / tflite-runtime interpreter behind the small interface the timing loop needs."""

    def __init__(self, module: object, model: str, threads: int | None, xnnpack: bool) -> None:
        kwargs = {"model_path": model}
        if threads:
            kwargs["num_threads"] = threads
        if not xnnpack:
            kwargs["experimental_op_resolver_type"] = module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        self.interp = module.Interpreter(**kwargs)
        for detail in self.interp.get_input_details():
            sig = detail.get("shape_signature")
            if sig is not None and any(int(d) < 0 for d in sig):
                self.interp.resize_tensor_input(detail["index"], [max(int(d), 1) for d in sig])
        self.interp.allocate_tensors()
        self.inputs = [_spec(d) for d in self.interp.get_input_details()]
        self.outputs = [_spec(d) for d in self.interp.get_output_details()]

    def set_inputs(self, arrays: list) -> None:
        for spec, array in zip(self.inputs, arrays, strict=True):
            self.interp.set_tensor(spec["index"], array)

    def invoke(self) -> None:
        self.interp.invoke()

    def get_outputs(self) -> list:
        return [self.interp.get_tensor(spec["index"]).copy() for spec in self.outputs]


class TflmSession:
    """The TFLM host interpreter; counts inputs/outputs from the flatbuffer (its API has no count)."""

    def __init__(self, module: object, model: str, arena_bytes: int | None) -> None:
        with open(model, "rb") as fh:
            data = fh.read()
        root = module.schema_fb.Model.GetRootAsModel(data, 0)
        graph = root.Subgraphs(0)
        size = arena_bytes or DEFAULT_TFLM_ARENA
        try:
            self.interp, log = capture_fd2(lambda: module.Interpreter.from_bytes(data, arena_size=size))
        except RuntimeError as exc:
            raise RuntimeError(tflm_failure_line(str(exc), getattr(exc, "captured_stderr", ""))) from None
        sys.stderr.write(log)
        self.inputs = self._specs(graph, graph.InputsLength(), graph.Inputs, self.interp.get_input_details)
        self.outputs = self._specs(graph, graph.OutputsLength(), graph.Outputs, self.interp.get_output_details)

    @staticmethod
    def _specs(graph: object, count: int, tensor_of: object, details_of: object) -> list:
        specs = []
        for position in range(count):
            spec = _spec(details_of(position), position)
            spec["name"] = graph.Tensors(tensor_of(position)).Name().decode("utf-8", "replace")
            specs.append(spec)
        return specs

    def set_inputs(self, arrays: list) -> None:
        for i, array in enumerate(arrays):
            self.interp.set_input(array, i)

    def invoke(self) -> None:
        self.interp.invoke()

    def get_outputs(self) -> list:
        return [self.interp.get_output(i).copy() for i in range(len(self.outputs))]

    def arena(self) -> dict:
        """Arena use as TFLM's RecordingMicroAllocator prints it (C-level stderr, so capture fd 2)."""
        _, text = capture_fd2(self.interp.print_allocations)
        return parse_arena_report(text)


def tflm_failure_line(error: str, captured: str) -> str:
    """TFLM's reason in one line: the kernel's own complaint first (e.g. "strided_slice_common.cc input dim
    should not exceed 4"), then the node line that names the op, e.g. "Node STRIDED_SLICE (number 2) failed"."""
    lines = [ln.strip() for ln in captured.splitlines() if ln.strip()]
    if not lines:
        return error
    node = next((ln for ln in reversed(lines) if ln.startswith("Node ")), None)
    reason = next((ln for ln in reversed(lines) if not ln.startswith("Node ")), None)
    if reason is not None and reason.startswith("tensorflow/lite/micro/"):
        reason = reason.rsplit("/", 1)[-1]
    parts = [p for p in (reason, f"({node})" if node and reason else node) if p]
    return f"{error}: {' '.join(parts)}"


def capture_fd2(fn: object) -> tuple:
    """Run fn() with file descriptor 2 redirected to a temp file: TFLM logs from C++, not via sys.stderr.

    Returns (fn's result, captured text); re-raises fn's exception with the captured text attached.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            result = fn()
        except Exception as exc:
            exc.captured_stderr = _read_back(capture)  # type: ignore[attr-defined]
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        return result, _read_back(capture)


def _read_back(capture: object) -> str:
    capture.flush()
    capture.seek(0)
    return capture.read().decode("utf-8", "replace").replace("\r", "")


def parse_arena_report(text: str) -> dict:
    result: dict = {"raw": text.strip()[-4000:]}
    for key, pattern in (
        ("total_bytes", r"Arena allocation total (\d+) bytes"),
        ("head_bytes", r"Arena allocation head (\d+) bytes"),
        ("tail_bytes", r"Arena allocation tail (\d+) bytes"),
    ):
        match = re.search(pattern, text)
        if match:
            result[key] = int(match.group(1))
    return result


def _spec(detail: dict, position: int | None = None) -> dict:
    import numpy as np

    quant = detail.get("quantization_parameters") or {}
    scales = [float(s) for s in np.asarray(quant.get("scales", [])).ravel()]
    zero_points = [int(z) for z in np.asarray(quant.get("zero_points", [])).ravel()]
    return {
        "index": int(detail.get("index", position if position is not None else 0)),
        "name": str(detail.get("name", "")),
        "shape": [int(d) for d in np.asarray(detail["shape"]).ravel()],
        "dtype": np.dtype(detail["dtype"]).name,
        "scales": scales[:16],
        "zero_points": zero_points[:16],
    }


# ---------------------------------------------------------------- inputs and outputs
def generate_input(spec: dict, rng: object) -> object:
    """Seeded input by dtype: floats uniform [-1, 1); quantized ints = those reals quantized; other ints
    across the dtype's range (int32/int64 in [0, 16) so index-like inputs stay valid); bools random."""
    import numpy as np

    shape = spec["shape"]
    dtype = np.dtype(spec["dtype"])
    if dtype.kind == "f":
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if spec["scales"] and spec["scales"][0] > 0:
            real = rng.uniform(-1.0, 1.0, size=shape)
            q = np.round(real / spec["scales"][0]) + (spec["zero_points"] or [0])[0]
            return np.clip(q, info.min, info.max).astype(dtype)
        if dtype.itemsize >= 4:
            return rng.integers(0, 16, size=shape).astype(dtype)
        return rng.integers(int(info.min), int(info.max) + 1, size=shape).astype(dtype)
    raise RunnerError("bad-input", f"cannot generate inputs of dtype {dtype.name}", EXIT_BAD_INPUT)


def load_inputs(path: str | None, specs: list, seed: int) -> list:
    import numpy as np

    if path is None:
        rng = np.random.default_rng(seed)
        return [generate_input(spec, rng) for spec in specs]
    with np.load(path) as npz:
        data = {key: npz[key] for key in npz.files}
    arrays = []
    for position, spec in enumerate(specs):
        for key in (spec["name"], f"input_{position}", f"arr_{position}"):
            if key in data:
                break
        else:
            raise RunnerError("bad-input", f"the --inputs file has no array for input {position} '{spec['name']}'",
                              EXIT_BAD_INPUT)
        array = np.asarray(data[key])
        if list(array.shape) != spec["shape"]:
            raise RunnerError(
                "bad-input", f"the --inputs file's '{key}' has shape {list(array.shape)}, model wants {spec['shape']}",
                EXIT_BAD_INPUT,
            )
        arrays.append(array.astype(spec["dtype"], copy=False))
    return arrays


def output_summary(array: object) -> dict:
    import numpy as np

    contiguous = np.ascontiguousarray(array)
    values = contiguous.astype(np.float64) if contiguous.size else np.zeros(1)
    return {
        "shape": list(contiguous.shape),
        "dtype": contiguous.dtype.name,
        "sha256": hashlib.sha256(contiguous.tobytes()).hexdigest(),
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "std": float(values.std()),
        "finite": bool(np.isfinite(values).all()),
    }


# ---------------------------------------------------------------- timing
def latency_stats(samples_ms: list) -> dict:
    import numpy as np

    values = np.asarray(samples_ms, dtype=np.float64)
    if values.size == 0:
        return {"runs": 0}
    p50, p90, p99 = (float(v) for v in np.percentile(values, [50, 90, 99]))
    return {
        "runs": int(values.size),
        "min": float(values.min()),
        "mean": float(values.mean()),
        "p50": p50,
        "p90": p90,
        "p99": p99,
        "max": float(values.max()),
        "std": float(values.std()),
        "samples": [round(float(v), 5) for v in values],  # every timed run, so distributions are real
    }


def _timed(fn: object) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6


def measure(args: argparse.Namespace) -> dict:
    import numpy as np

    phase("import")
    runtime, module = load_runtime(args.runtime)
    doc: dict = {"schema": SCHEMA, "runtime": {"name": runtime, "version": runtime_version(runtime)}}
    doc["device"] = device_facts()
    phase("init")
    start = time.perf_counter_ns()
    try:
        if runtime == "tflm":
            session = TflmSession(module, args.model, args.arena_bytes)
        else:
            session = TfliteSession(module, args.model, args.threads, not args.no_xnnpack)
    except (RuntimeError, ValueError) as exc:
        raise classify_runtime_error(exc, "init") from None
    doc["init_ms"] = (time.perf_counter_ns() - start) / 1e6
    inputs = load_inputs(args.inputs, session.inputs, args.seed)
    doc["inputs"] = session.inputs
    doc["options"] = {
        "runs": args.runs, "warmup": args.warmup, "threads": args.threads, "xnnpack": not args.no_xnnpack,
        "seed": None if args.inputs else args.seed, "inputs_file": bool(args.inputs), "arena_bytes": args.arena_bytes,
    }
    try:
        session.set_inputs(inputs)
        phase("first-inference")
        doc["first_inference_ms"] = _timed(session.invoke)
        outputs = session.get_outputs()
        phase("warmup")
        warm = [_timed(session.invoke) for _ in range(args.warmup)]
        doc["warmup_mean_ms"] = float(np.mean(warm)) if warm else None
        phase("timed")
        samples, deadline = [], time.monotonic() + args.max_seconds if args.max_seconds else None
        for _ in range(args.runs):
            samples.append(_timed(session.invoke))
            if deadline is not None and time.monotonic() > deadline:
                break
    except (RuntimeError, ValueError) as exc:
        raise classify_runtime_error(exc, "invoke") from None
    doc["latency_ms"] = latency_stats(samples)
    doc["latency_ms"]["truncated_by_max_seconds"] = len(samples) < args.runs
    doc["outputs"] = [dict(spec, **output_summary(arr)) for spec, arr in zip(session.outputs, outputs, strict=True)]
    if runtime == "tflm":
        phase("arena")
        doc["arena"] = session.arena()
    doc["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    doc["per_op"] = None  # neither Python interpreter API exposes per-op timing; the host estimates it
    if args.outputs_npz:
        arrays = {f"input_{i}": a for i, a in enumerate(inputs)}
        arrays.update({f"output_{i}": a for i, a in enumerate(outputs)})
        np.savez(args.outputs_npz, **arrays)
        doc["outputs_npz"] = args.outputs_npz
    phase("done")
    return doc


class _Parser(argparse.ArgumentParser):
    """argparse prints usage and exits 2; the host wants the JSON error document instead."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise RunnerError("bad-input", f"runner arguments: {message}", EXIT_BAD_INPUT)


def parse_args(argv: list) -> argparse.Namespace:
    parser = _Parser(prog="runner.py", description="edgetk device-side runner")
    parser.add_argument("--model", required=True)
    parser.add_argument("--runtime", default="auto", choices=["auto", "litert", "tflite-runtime", "tflm"])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-xnnpack", action="store_true")
    parser.add_argument("--inputs", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--outputs-npz", default=None)
    parser.add_argument("--arena-bytes", type=int, default=None)
    parser.add_argument("--max-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or (args.threads is not None and args.threads < 1):
        raise RunnerError("bad-input", "--runs must be >= 1, --warmup >= 0, --threads >= 1", EXIT_BAD_INPUT)
    if not os.path.isfile(args.model):
        raise RunnerError("bad-input", f"model file not found: {args.model}", EXIT_BAD_INPUT)
    return args


def main(argv: list | None = None) -> int:
    with contextlib.suppress(OSError, ValueError):  # stderr may have no fd (embedded / under pytest)
        faulthandler.enable()  # a native crash still leaves a Python stack on stderr
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        doc = measure(args)
    except RunnerError as exc:
        error = {"kind": exc.kind, "message": exc.message}
        if exc.op:
            error["op"] = exc.op
        print(json.dumps({"schema": SCHEMA, "error": error}))
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the device side must always answer with JSON
        error = {"kind": "internal", "message": f"{type(exc).__name__}: {exc}"[:500]}
        print(json.dumps({"schema": SCHEMA, "error": error}))
        return EXIT_RUNTIME_FAILED
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
