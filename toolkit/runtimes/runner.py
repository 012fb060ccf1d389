#!/usr/bin/env python3
"""edgetk device-side runner: load a .tflite model, time it, print ONE JSON document on stdout.

Every transport (local, qemu emulator, TFLM host, SSH, adb) copies this one file to the device and runs it,
so every device is measured the same way. It must stay self-contained: stdlib + numpy + whichever of
ai_edge_litert / tflite_runtime / tflite_micro is installed there; no edgetk imports; Python 3.11 with
Debian's numpy 1.24 (no numpy-2-only APIs). The document schema is in docs/schemas/runner.md.

``--model M`` times one model. ``--batch PATH...`` (schema version 2) times several in ONE process — the
slices of ``bench --per-op``: each path a .tflite, a directory of them or a .zip of them; every model gets
its own warm-up, and the timed runs go in ``--rounds`` rounds that visit every model in turn (interleaved,
so machine load falls on all of them alike). A model that fails is reported in its entry; the others go on.

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

SCHEMA = "edgetk.runner/2"  # 2: --batch (models[] document); a --model document is v1's fields
EXIT_BAD_INPUT = 2
NUMPY_MAX_DIMS = 32  # numpy 1.x (the runtimes here need numpy < 2); numpy 2 holds 64
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


def phase(name: str, model: str | None = None) -> None:
    """Mark progress on stderr so a crash (signal) can be attributed to a phase (and a batch's model)."""
    sys.stderr.write(f"edgetk-runner: phase={name}" + (f" model={model}" if model else "") + "\n")
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
    for position, spec in enumerate(specs):
        if len(spec["shape"]) > NUMPY_MAX_DIMS:  # numpy cannot even hold the array: nothing to feed the runtime
            raise RunnerError("bad-input", f"input {position} '{spec['name']}' has rank {len(spec['shape'])}: numpy "
                              f"holds at most {NUMPY_MAX_DIMS} dimensions, so this runner cannot feed it (the "
                              f"runtime was not tried)", EXIT_BAD_INPUT)
    return _load_inputs(path, specs, seed)


def _load_inputs(path: str | None, specs: list, seed: int) -> list:
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


def _timed_cpu(fn: object) -> tuple:
    """(wall ms, this process's CPU ms) of one call: CPU time leaves out the time other processes held the
    core, so on a loaded machine it says what the model costs when wall time says how long it waited too."""
    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
    fn()
    return (time.perf_counter_ns() - wall) / 1e6, (time.process_time_ns() - cpu) / 1e6


def open_session(runtime: str, module: object, model: str, args: argparse.Namespace) -> object:
    """The runtime's interpreter on ``model``; a runtime's refusal becomes a classified ``RunnerError``."""
    try:
        if runtime == "tflm":
            return TflmSession(module, model, args.arena_bytes)
        return TfliteSession(module, model, args.threads, not args.no_xnnpack)
    except (RuntimeError, ValueError) as exc:
        raise classify_runtime_error(exc, "init") from None


def run_options(args: argparse.Namespace) -> dict:
    return {
        "runs": args.runs, "warmup": args.warmup, "threads": args.threads, "xnnpack": not args.no_xnnpack,
        "seed": None if args.inputs else args.seed, "inputs_file": bool(args.inputs), "arena_bytes": args.arena_bytes,
    }


def prepare(runtime: str, module: object, path: str, args: argparse.Namespace, inputs_file: str | None = None,
            name: str | None = None) -> tuple:
    """Open ``path``, feed it (``inputs_file`` or seeded inputs), run it once and warm it up:
    (session, the document's timing fields so far, inputs, outputs of the first run)."""
    import numpy as np

    phase("init", name)
    start = time.perf_counter_ns()
    session = open_session(runtime, module, path, args)
    entry: dict = {"init_ms": (time.perf_counter_ns() - start) / 1e6}
    inputs = load_inputs(inputs_file, session.inputs, args.seed)
    entry["inputs"] = session.inputs
    try:
        session.set_inputs(inputs)
        phase("first-inference", name)
        entry["first_inference_ms"] = _timed(session.invoke)
        outputs = session.get_outputs()
        phase("warmup", name)
        warm = [_timed(session.invoke) for _ in range(args.warmup)]
    except (RuntimeError, ValueError) as exc:
        raise classify_runtime_error(exc, "invoke") from None
    entry["outputs"] = [dict(spec, **output_summary(arr)) for spec, arr in zip(session.outputs, outputs, strict=True)]
    entry["warmup_mean_ms"] = float(np.mean(warm)) if warm else None
    return session, entry, inputs, outputs


def measure(args: argparse.Namespace) -> dict:
    import numpy as np

    phase("import")
    runtime, module = load_runtime(args.runtime)
    doc: dict = {"schema": SCHEMA, "runtime": {"name": runtime, "version": runtime_version(runtime)}}
    doc["device"] = device_facts()
    session, entry, inputs, outputs = prepare(runtime, module, args.model, args, args.inputs)
    doc.update(entry, options=run_options(args))
    phase("timed")
    samples, deadline = [], time.monotonic() + args.max_seconds if args.max_seconds else None
    try:
        for _ in range(args.runs):
            samples.append(_timed(session.invoke))
            if deadline is not None and time.monotonic() > deadline:
                break
    except (RuntimeError, ValueError) as exc:
        raise classify_runtime_error(exc, "invoke") from None
    doc["latency_ms"] = latency_stats(samples)
    doc["latency_ms"]["truncated_by_max_seconds"] = len(samples) < args.runs
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


# ---------------------------------------------------------------- batch (schema 2)
def batch_models(paths: list, workdir: str, exclude: list) -> list:
    """(name, path) of every model of the batch, in order: .tflite files, directories of them, .zip archives
    of them (extracted into ``workdir`` under their base names). Names must be unique; ``exclude`` drops some."""
    import zipfile

    found = []
    for path in paths:
        if os.path.isdir(path):
            found += [(n, os.path.join(path, n)) for n in sorted(os.listdir(path)) if n.endswith(".tflite")]
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    name = os.path.basename(info.filename)
                    if info.is_dir() or not name.endswith(".tflite"):
                        continue
                    target = os.path.join(workdir, name)
                    with archive.open(info) as src, open(target, "wb") as dst:
                        dst.write(src.read())
                    found.append((name, target))
        elif os.path.isfile(path):
            found.append((os.path.basename(path), path))
        else:
            raise RunnerError("bad-input", f"batch entry not found: {path}", EXIT_BAD_INPUT)
    names = [n for n, _ in found]
    if len(set(names)) != len(names):
        raise RunnerError("bad-input", "batch model names must be unique", EXIT_BAD_INPUT)
    return [(n, p) for n, p in found if n not in set(exclude)]


def _error_entry(exc: RunnerError) -> dict:
    error = {"kind": exc.kind, "message": exc.message}
    if exc.op:
        error["op"] = exc.op
    return error


def measure_batch(args: argparse.Namespace) -> dict:
    """Every model of ``--batch`` in one process: each prepared alone, then ``--rounds`` rounds in which
    every live model runs one untimed re-warm run and its share of ``--runs`` in turn. ``latency_ms`` per
    model is over all its timed runs; ``round_p50`` holds each round's median, so the host can compare models
    round by round. ``cpu_ms``: the same on the process's CPU time (which preemption does not inflate)."""
    import numpy as np

    phase("import")
    runtime, module = load_runtime(args.runtime)
    doc: dict = {"schema": SCHEMA, "runtime": {"name": runtime, "version": runtime_version(runtime)}}
    doc["device"] = device_facts()
    rounds = max(1, min(args.rounds, args.runs))
    per_round = -(-args.runs // rounds)
    doc["options"] = dict(run_options(args), rounds=rounds, runs_per_round=per_round)
    with tempfile.TemporaryDirectory(prefix="edgetk-batch-") as workdir:
        models = batch_models(args.batch, workdir, args.exclude or [])
        entries, live = [], []
        for name, path in models:
            try:
                session, entry, _inputs, _outputs = prepare(runtime, module, path, args, name=name)
                entry = {"name": name, **entry}
            except RunnerError as exc:
                entries.append({"name": name, "error": _error_entry(exc)})
                continue
            entries.append(entry)
            live.append((session, entry, [], []))
        budget = args.max_seconds / max(len(live), 1) / rounds if args.max_seconds else None
        for _ in range(rounds):
            for session, entry, samples, cpu in live:
                if "error" in entry:
                    continue
                phase("timed", entry["name"])
                this, deadline = [], time.monotonic() + budget if budget else None
                try:
                    session.invoke()  # untimed: the other models' runs left its weights out of the caches
                    for _ in range(per_round):
                        this.append(_timed_cpu(session.invoke))
                        if deadline is not None and time.monotonic() > deadline:
                            break
                except (RuntimeError, ValueError) as exc:
                    entry["error"] = _error_entry(classify_runtime_error(exc, "invoke"))
                    continue
                samples.extend(w for w, _ in this)
                cpu.extend(c for _, c in this)
                entry.setdefault("rounds", []).append([float(np.median([w for w, _ in this])),
                                                       float(np.median([c for _, c in this]))])
        for _session, entry, samples, cpu in live:
            rounds_seen = entry.pop("rounds", [])
            if "error" in entry:
                for key in ("init_ms", "inputs", "first_inference_ms", "outputs", "warmup_mean_ms"):
                    entry.pop(key, None)
                continue
            entry["latency_ms"] = latency_stats(samples)
            entry["latency_ms"]["truncated_by_max_seconds"] = len(samples) < per_round * rounds
            entry["latency_ms"]["round_p50"] = [round(w, 5) for w, _ in rounds_seen]
            entry["cpu_ms"] = {"p50": float(np.median(cpu)), "min": float(min(cpu)), "max": float(max(cpu)),
                               "round_p50": [round(c, 5) for _, c in rounds_seen]}
    doc["models"] = entries
    doc["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    phase("done")
    return doc


class _Parser(argparse.ArgumentParser):
    """argparse prints usage and exits 2; the host wants the JSON error document instead."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise RunnerError("bad-input", f"runner arguments: {message}", EXIT_BAD_INPUT)


def parse_args(argv: list) -> argparse.Namespace:
    parser = _Parser(prog="runner.py", description="edgetk device-side runner")
    parser.add_argument("--model", default=None)
    parser.add_argument("--batch", nargs="+", default=None, help=".tflite files, directories or .zip archives")
    parser.add_argument("--rounds", type=int, default=1, help="--batch: timed runs interleaved in rounds")
    parser.add_argument("--exclude", action="append", default=None, help="--batch: a model name to leave out")
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
    if (args.model is None) == (args.batch is None):
        raise RunnerError("bad-input", "runner arguments: give --model M or --batch PATH...", EXIT_BAD_INPUT)
    if args.batch is not None and (args.rounds < 1 or args.inputs or args.outputs_npz):
        raise RunnerError("bad-input", "--batch takes --rounds >= 1 and no --inputs / --outputs-npz", EXIT_BAD_INPUT)
    if args.model is not None and not os.path.isfile(args.model):
        raise RunnerError("bad-input", f"model file not found: {args.model}", EXIT_BAD_INPUT)
    return args


def main(argv: list | None = None) -> int:
    with contextlib.suppress(OSError, ValueError):  # stderr may have no fd (embedded / under pytest)
        faulthandler.enable()  # a native crash still leaves a Python stack on stderr
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        doc = measure_batch(args) if args.batch is not None else measure(args)
    except RunnerError as exc:
        print(json.dumps({"schema": SCHEMA, "error": _error_entry(exc)}))
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
