"""Self-contained op-support probe child: stdlib + one runtime (+ numpy for "run" cases). No edgetk import.

Run as ``python probe_child.py --runtime litert|tflite-runtime|tflm|litert-gpu --manifest M.json --results
R.jsonl [--start K]``. ``litert-gpu`` loads each model with LiteRT's GPU accelerator enabled (CompiledModel
GPU|CPU, never run) and returns, as the detail, a JSON object with what the accelerator said on stderr
(the parent needs the Vulkan ICD in the environment: toolkit.runtimes.gpu_accelerator). The manifest is a
JSON list of {"path": model file, "mode": "kernel"|"run"|"custom"}. For each entry
from K on, one "start" line then one result line are appended to the results file, flushed, so a parent
that sees this process die by a signal knows which model killed it and restarts after it. Copy this one
file to another machine (or run it under qemu-user) to probe the runtime installed there.
"""

import argparse
import json
import os
import platform
import sys
import tempfile

MISSING_MARKERS = (
    "Didn't find op for builtin opcode",
    "Failed to get registration from op code",
    "Encountered unresolved custom op",
    "builtin_code out of range",
    "Select TensorFlow op(s)",
    "is not supported by this interpreter",
)


# Exit status of a child whose runtime does not import: the parent reports a missing dependency (never a
# table in which every op "has a kernel" because every model failed the same way).
MISSING_RUNTIME_EXIT = 3
RUNTIME_MODULES = {"litert": "ai_edge_litert", "tflite-runtime": "tflite_runtime", "tflm": "tflite_micro",
                   "litert-gpu": "ai_edge_litert"}


def _make_interpreter(runtime, data):
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter(model_content=data)
    if runtime == "tflite-runtime":
        from tflite_runtime.interpreter import Interpreter

        return Interpreter(model_content=data)
    from tflite_micro.python.tflite_micro import runtime as tflm

    return tflm.Interpreter.from_bytes(data, arena_size=1 << 20)


def runtime_version(runtime):
    try:
        if runtime in ("litert", "litert-gpu"):
            from importlib.metadata import version

            return version("ai-edge-litert")
        if runtime == "tflite-runtime":
            import tflite_runtime

            return tflite_runtime.__version__
        from importlib.metadata import version

        return version("tflite-micro")
    except Exception as exc:  # noqa: BLE001 - report, do not die: the table says why
        return f"unknown ({exc})"


class _CaptureFd2:
    """Native runtimes print their reasons on C-level stderr: capture fd 2 into a temp file."""

    def __enter__(self):
        sys.stderr.flush()
        self.tmp = tempfile.TemporaryFile()
        self.saved = os.dup(2)
        os.dup2(self.tmp.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.tmp.seek(0)
        self.text = self.tmp.read().decode("utf-8", "replace")
        self.tmp.close()
        return False


def _fill_inputs(runtime, interp):
    import numpy as np

    if runtime == "tflm":
        n = 0
        while True:
            try:
                d = interp.get_input_details(n)
            except Exception:  # noqa: BLE001 - the TFLM wrapper has no input count
                return
            interp.set_input(np.ones(d["shape"], d["dtype"]), n)
            n += 1
    interp.allocate_tensors()
    for d in interp.get_input_details():
        interp.set_tensor(d["index"], np.ones(d["shape"], d["dtype"]))


def _noise(line):
    """Start-up chatter (plugin and registry loading) that says nothing about the model."""
    return line.startswith(("INFO:", "\u2514")) or "compiler_plugin.cc" in line or "registry.cc" in line


def probe_gpu_one(path):
    """(loaded|not-loaded, JSON detail: fully_accelerated, load_error, the accelerator's stderr)."""
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator

    result = {"fully_accelerated": None, "load_error": None}
    with _CaptureFd2() as cap:
        try:
            model = CompiledModel.from_file(path, hardware_accel=HardwareAccelerator.GPU | HardwareAccelerator.CPU)
            result["fully_accelerated"] = bool(model.is_fully_accelerated())
            model.close()
        except Exception as exc:  # noqa: BLE001 - a refusal is data here
            result["load_error"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
    result["stderr"] = "\n".join(line for line in cap.text.splitlines() if not _noise(line))[-8000:]
    return ("not-loaded" if result["load_error"] else "loaded"), json.dumps(result)


def probe_one(runtime, path, mode):
    """Return (status, detail). kernel mode: present|missing. run mode: ok|failed. custom: registered|missing."""
    if runtime == "litert-gpu":
        return probe_gpu_one(path)
    with open(path, "rb") as fh:
        data = fh.read()
    error = None
    with _CaptureFd2() as cap:
        try:
            interp = _make_interpreter(runtime, data)
            if mode in ("run", "custom"):
                _fill_inputs(runtime, interp)
                interp.invoke()
        except Exception as exc:  # noqa: BLE001 - every failure is data here
            error = f"{type(exc).__name__}: {exc}"
    text = " ".join(((error or "") + " " + cap.text).split())[:400]
    if mode == "run":
        return ("ok", "") if error is None else ("failed", text)
    if mode == "custom":
        # LiteRT logs "unresolved custom op" even for a registered op whose Prepare then rejects the probe's
        # dummy tensors: only its own exception counts. TFLM says why only in its log.
        # LiteRT's XNNPACK delegate takes some custom ops (MediaPipe's Convolution2DTransposeBias): it checks
        # the node first ("unexpected number of inputs (1 != 3) in node CUSTOM") and only then is the op left
        # unresolved. A complaint BEFORE the unresolved marker therefore means "registered (by the delegate)".
        own = text if runtime == "tflm" else (error or "").removeprefix("RuntimeError: ")
        first = min((own.find(m) for m in MISSING_MARKERS if m in own), default=-1)
        if first == 0 or (first > 0 and runtime == "tflm"):
            return "missing", text
        if first > 0:
            return "registered-by-delegate", text
        return "registered", text if error else ""
    if any(marker in text for marker in MISSING_MARKERS):
        return "missing", text
    return "present", text if error else ""


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True, choices=["litert", "tflite-runtime", "tflm", "litert-gpu"])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--start", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        __import__(RUNTIME_MODULES[args.runtime])
    except ImportError as exc:
        print(f"missing-runtime: {exc}", file=sys.stderr)
        return MISSING_RUNTIME_EXIT
    with open(args.manifest) as fh:
        manifest = json.load(fh)
    with open(args.results, "a") as out:

        def emit(obj):
            out.write(json.dumps(obj) + "\n")
            out.flush()

        emit({"event": "hello", "runtime": args.runtime, "version": runtime_version(args.runtime),
              "machine": platform.machine(), "python": platform.python_version()})
        for i in range(args.start, len(manifest)):
            emit({"event": "start", "i": i})
            status, detail = probe_one(args.runtime, manifest[i]["path"], manifest[i].get("mode", "kernel"))
            emit({"event": "result", "i": i, "status": status, "detail": detail})
    return 0


if __name__ == "__main__":
    sys.exit(main())
