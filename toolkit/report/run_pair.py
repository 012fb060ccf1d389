"""Child process: run two .tflite models on the SAME inputs and save their outputs (numerics of compare).

Self-contained (stdlib + numpy + LiteRT or tflite-runtime) because native interpreters can abort; the
parent survives and reports. Inputs: seeded normal floats per input tensor of the first model (quantized
per model when its input is int8/uint8), or the ``input_<i>`` arrays of a reference .npz. Outputs are
dequantized so a float and a quantized model compare in the same units.

argv: NEW OLD OUT.npz SEED [REFERENCE.npz|-]; prints one JSON line with per-model status.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def _interpreter(path: str):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - depends on what the host has
        from tflite_runtime.interpreter import Interpreter
    interp = Interpreter(model_path=path)
    interp.allocate_tensors()
    return interp


def _seeded_inputs(details: list[dict], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for d in details:
        shape = [max(int(s), 1) for s in d["shape_signature"]] if len(d["shape_signature"]) else list(d["shape"])
        if np.issubdtype(d["dtype"], np.integer) and not d["quantization"][0]:
            arrays.append(rng.integers(0, 10, size=shape).astype(d["dtype"]))
        elif d["dtype"] == np.bool_:
            arrays.append(rng.integers(0, 2, size=shape).astype(bool))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def _feed(interp, details: dict, value: np.ndarray) -> None:
    scale, zero = details["quantization"]
    if scale and np.issubdtype(details["dtype"], np.integer) and value.dtype.kind == "f":
        info = np.iinfo(details["dtype"])
        value = np.clip(np.round(value / scale + zero), info.min, info.max)
    value = value.astype(details["dtype"])
    if list(value.shape) != list(details["shape"]):
        interp.resize_tensor_input(details["index"], value.shape)
        interp.allocate_tensors()
    interp.set_tensor(details["index"], value)


def _outputs(interp) -> list[np.ndarray]:
    result = []
    for d in interp.get_output_details():
        value = interp.get_tensor(d["index"])
        scale, zero = d["quantization"]
        if scale and np.issubdtype(value.dtype, np.integer):
            value = (value.astype(np.float64) - zero) * scale
        result.append(np.asarray(value, dtype=np.float64) if value.dtype.kind in "fiub" else value)
    return result


class InputsDoNotFit(Exception):
    """The shared inputs do not fit this model (another signature): the comparison's limit, not the model's fate."""


#: the status prefix of a model the shared inputs do not fit (the parent does not count it as a failed run)
INPUTS_DO_NOT_FIT = "inputs do not fit: "


def run_one(path: str, inputs: list[np.ndarray]) -> list[np.ndarray]:
    interp = _interpreter(path)
    details = interp.get_input_details()
    if len(details) != len(inputs):
        raise InputsDoNotFit(f"{len(details)} inputs, expected {len(inputs)}")
    try:
        for d, value in zip(details, inputs, strict=True):
            _feed(interp, d, value)
    except Exception as exc:  # noqa: BLE001 - a shape or dtype the model does not take
        raise InputsDoNotFit(_why(exc)) from exc
    interp.invoke()
    return _outputs(interp)


#: written to stderr before each model is touched, so the parent can tell which model hung or crashed the child
RUNNING_MARK = "edgetk-run-pair: running "


def _running(tag: str) -> None:
    sys.stderr.write(f"{RUNNING_MARK}{tag}\n")
    sys.stderr.flush()


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def main(argv: list[str]) -> int:
    new, old, out, seed, reference = argv[1], argv[2], argv[3], int(argv[4]), argv[5]
    status: dict[str, str] = {}
    models = [(tag, path) for tag, path in (("new", new), ("old", old)) if path != "-"]
    inputs = None
    if reference != "-":
        ref = np.load(reference)
        inputs = [ref[f"input_{i}"] for i in range(sum(1 for k in ref.files if k.startswith("input_")))]
    for tag, path in models if inputs is None else ():  # seeded from the first model that loads
        _running(tag)
        try:
            inputs = _seeded_inputs(_interpreter(path).get_input_details(), seed)
            break
        except Exception as exc:  # noqa: BLE001 - this model's status: it does not load
            status[tag] = _why(exc)
    arrays = {f"input_{i}": a for i, a in enumerate(inputs or [])}
    for tag, path in models:
        if tag in status:
            continue
        _running(tag)
        try:
            for i, a in enumerate(run_one(path, inputs)):
                arrays[f"{tag}_output_{i}"] = a
            status[tag] = "ok"
        except InputsDoNotFit as exc:
            status[tag] = f"{INPUTS_DO_NOT_FIT}{exc}"
        except Exception as exc:  # noqa: BLE001 - reported to the parent as this model's status
            status[tag] = _why(exc)
    np.savez(out, **arrays)
    sys.stdout.write(json.dumps(status) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
