"""Run a converted .tflite on the worker's inputs and compare with TF's outputs, in a child without TensorFlow.

``python -m toolkit.convert.numcheck MODEL DATA.npz --runtime litert|litert-no-xnnpack|tflite-runtime|tflm`` prints one
JSON document: per output max abs error and max relative error (max abs error / max |reference|). Integer
inputs/outputs (--integer-io models) are quantized/dequantized with the tensor's own scale and zero point,
so the numbers are comparable with the float model. A separate process, because TF and the interpreters
must not share one (import-order crashes) and a runtime abort must not kill the CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np


def _quant(details: dict[str, Any]) -> tuple[float, int]:
    """(scale, zero point) from LiteRT's or TFLM's tensor details (per-tensor quantization)."""
    if "quantization" in details:
        return details["quantization"]
    params = details.get("quantization_parameters") or {}
    scales, zeros = params.get("scales", []), params.get("zero_points", [])
    return (float(scales[0]), int(zeros[0])) if len(scales) else (0.0, 0)


def _to_model_dtype(x: np.ndarray, dtype: Any, quant: tuple[float, int]) -> np.ndarray:
    scale, zero = quant
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(x.dtype, np.integer) and scale:
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)
    return x.astype(dtype)


def _from_model_dtype(y: np.ndarray, quant: tuple[float, int]) -> np.ndarray:
    scale, zero = quant
    if np.issubdtype(y.dtype, np.integer) and scale:
        return (y.astype(np.float64) - zero) * scale
    return y.astype(np.float64)


def _run_litert(model: str, inputs: list[np.ndarray], xnnpack: bool,
                tflite_runtime: bool = False) -> list[list[np.ndarray]]:
    """LiteRT, or tflite-runtime 2.14 (the Raspberry Pi runtime; same Python API)."""
    if tflite_runtime:
        from tflite_runtime.interpreter import Interpreter, OpResolverType
    else:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_path=model, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    ins, outs = it.get_input_details(), it.get_output_details()
    results = []
    for i in range(inputs[0].shape[0]):
        # fused LSTM ops keep their state in variable tensors across invokes: each sample starts fresh
        it.reset_all_variables()
        for d, x in zip(ins, inputs, strict=True):
            it.set_tensor(d["index"], _to_model_dtype(x[i], d["dtype"], _quant(d)))
        it.invoke()
        results.append([_from_model_dtype(it.get_tensor(d["index"]), _quant(d)) for d in outs])
    return results


def _run_tflm(model: str, inputs: list[np.ndarray]) -> list[list[np.ndarray]]:
    from tflite_micro.python.tflite_micro import runtime

    it = runtime.Interpreter.from_file(model, arena_size=4 << 20)
    results = []
    for i in range(inputs[0].shape[0]):
        for k, x in enumerate(inputs):
            d = it.get_input_details(k)
            it.set_input(_to_model_dtype(x[i], d["dtype"], _quant(d)), k)
        it.invoke()
        outs = []
        k = 0
        while True:
            try:
                d = it.get_output_details(k)
            except Exception:  # noqa: BLE001 - TFLM has no output count API; stop at the first missing index
                break
            outs.append(_from_model_dtype(it.get_output(k), _quant(d)))
            k += 1
        it.reset()
        results.append(outs)
    return results


def _match(outputs: list[np.ndarray], refs: list[np.ndarray]) -> list[int]:
    """Reference index for each runtime output: by position when shapes agree, else by unique shape."""
    if len(outputs) == len(refs) and all(o.shape == r.shape for o, r in zip(outputs, refs, strict=True)):
        return list(range(len(refs)))
    order = []
    for out in outputs:
        same = [j for j, r in enumerate(refs) if r.shape == out.shape and j not in order]
        order.append(same[0] if same else -1)
    return order


def compare(model: str, data: str, runtime: str) -> dict[str, Any]:
    with np.load(data) as npz:
        inputs = [npz[f"in{i}"] for i in range(sum(k.startswith("in") for k in npz.files))]
        refs = [npz[f"ref{j}"] for j in range(sum(k.startswith("ref") for k in npz.files))]
    if runtime == "tflm":
        per_sample = _run_tflm(model, inputs)
    else:
        per_sample = _run_litert(model, inputs, xnnpack=runtime != "litert-no-xnnpack",
                                 tflite_runtime=runtime == "tflite-runtime")
    outputs = [np.stack([s[k] for s in per_sample]) for k in range(len(per_sample[0]))]
    errors = []
    for k, j in enumerate(_match(outputs, refs)):
        if j < 0:
            return {"ok": False, "error": f"output {k} shape {list(outputs[k].shape)} matches no TF output"}
        ref = refs[j].astype(np.float64).reshape(outputs[k].shape)
        diff = float(np.max(np.abs(outputs[k] - ref))) if ref.size else 0.0
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        errors.append({"name": f"output_{j}", "max_abs": diff, "max_rel": diff / scale if scale else diff})
    return {"ok": True, "outputs": errors}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("--runtime", choices=["litert", "litert-no-xnnpack", "tflite-runtime", "tflm"], default="litert")
    args = parser.parse_args(argv)
    try:
        result = compare(args.model, args.data, args.runtime)
    except Exception as exc:  # noqa: BLE001 - reported as data; the parent decides
        result = {"ok": False, "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
