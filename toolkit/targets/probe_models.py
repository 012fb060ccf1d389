"""The models the op-support probe feeds to runtimes: one dummy single-op model per builtin code and
version (does a kernel exist?), and small VALID models per (op, dtype) (does the kernel accept the dtype?).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.model.builder import ModelBuilder, build_single_op_model, builtin_names, dequantize_model, schema

SKIPPED_CODES = {"CUSTOM", "DELEGATE", "PLACEHOLDER_FOR_GREATER_OP_CODES"}


def _options_for(name: str) -> Any:
    """A few ops cannot even be constructed without their options table (seen in the probe)."""
    s = schema()
    if name == "VAR_HANDLE":
        o = s.VarHandleOptionsT()
        o.container, o.sharedName = "", "v"
        return o
    factories: dict[str, Callable[[], Any]] = {
        "LSTM": s.LSTMOptionsT,
        "UNIDIRECTIONAL_SEQUENCE_LSTM": s.UnidirectionalSequenceLSTMOptionsT,
        "BIDIRECTIONAL_SEQUENCE_LSTM": s.BidirectionalSequenceLSTMOptionsT,
        "SVDF": s.SVDFOptionsT,
        "RNN": s.RNNOptionsT,
        "UNIDIRECTIONAL_SEQUENCE_RNN": s.SequenceRNNOptionsT,
        "BIDIRECTIONAL_SEQUENCE_RNN": s.BidirectionalSequenceRNNOptionsT,
        "CONV_2D": s.Conv2DOptionsT,
        "DEPTHWISE_CONV_2D": s.DepthwiseConv2DOptionsT,
        "FULLY_CONNECTED": s.FullyConnectedOptionsT,
        "RESHAPE": s.ReshapeOptionsT,
    }
    factory = factories.get(name)
    return factory() if factory else None


def kernel_probe_model(code: int, version: int) -> bytes:
    """A dummy single-op model: enough for the runtime to look the kernel up, not to run it."""
    name = builtin_names()[code]
    return build_single_op_model(code, version=version, input_dtypes=("float32",), builtin_options=_options_for(name))


def probe_codes() -> list[int]:
    return [c for c, n in sorted(builtin_names().items()) if n not in SKIPPED_CODES]


# --- dtype cases --------------------------------------------------------------------------------------------

_QUANT = {"int8": 0.5, "int16": 0.5, "uint8": 0.5}
_BIAS = {"float32": "float32", "int8": "int32", "int16": "int64"}


def _q(dtype: str) -> dict[str, Any]:
    return {"scale": _QUANT[dtype], "zero_point": 0} if dtype in _QUANT else {}


def _add(dtype: str) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk probe ADD {dtype}")
    x, y = b.add_tensor([1, 4], dtype, **_q(dtype)), b.add_tensor([1, 4], dtype, **_q(dtype))
    out = b.add_tensor([1, 4], dtype, **_q(dtype))
    b.add_op("ADD", [x, y], [out], options=s.AddOptionsT())
    b.set_io([x, y], [out])
    return b.build()


def _weights(dtype: str, shape: list[int]) -> tuple[str, np.ndarray, dict[str, Any]]:
    if dtype == "float32":
        return "float32", np.full(shape, 0.25, np.float32), {}
    return "int8", np.ones(shape, np.int8), {"scale": 0.5, "zero_point": 0}


def _fully_connected(dtype: str) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk probe FULLY_CONNECTED {dtype}")
    x = b.add_tensor([1, 4], dtype, **_q(dtype))
    wdt, wdata, wq = _weights(dtype, [3, 4])
    w = b.add_tensor([3, 4], wdt, data=wdata, **wq)
    bias_dt = _BIAS[dtype]
    bias = b.add_tensor([3], bias_dt, data=np.zeros([3], np.dtype(bias_dt)), **({"scale": 0.25} if dtype != "float32" else {}))
    out = b.add_tensor([1, 3], dtype, **_q(dtype))
    b.add_op("FULLY_CONNECTED", [x, w, bias], [out], options=s.FullyConnectedOptionsT())
    b.set_io([x], [out])
    return b.build()


def _conv_2d(dtype: str) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk probe CONV_2D {dtype}")
    x = b.add_tensor([1, 4, 4, 2], dtype, **_q(dtype))
    wdt, wdata, wq = _weights(dtype, [3, 1, 1, 2])
    w = b.add_tensor([3, 1, 1, 2], wdt, data=wdata, **wq)
    bias_dt = _BIAS[dtype]
    bias = b.add_tensor([3], bias_dt, data=np.zeros([3], np.dtype(bias_dt)), **({"scale": 0.25} if dtype != "float32" else {}))
    out = b.add_tensor([1, 4, 4, 3], dtype, **_q(dtype))
    opts = s.Conv2DOptionsT()
    opts.padding, opts.strideW, opts.strideH, opts.dilationWFactor, opts.dilationHFactor = s.Padding.SAME, 1, 1, 1, 1
    b.add_op("CONV_2D", [x, w, bias], [out], options=opts)
    b.set_io([x], [out])
    return b.build()


def _softmax(dtype: str) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk probe SOFTMAX {dtype}")
    x = b.add_tensor([1, 4], dtype, **_q(dtype))
    out_q = {"int8": {"scale": 1 / 256, "zero_point": -128}, "int16": {"scale": 1 / 32768, "zero_point": 0}}
    out = b.add_tensor([1, 4], dtype, **out_q.get(dtype, {}))
    opts = s.SoftmaxOptionsT()
    opts.beta = 1.0
    b.add_op("SOFTMAX", [x], [out], options=opts)
    b.set_io([x], [out])
    return b.build()


@dataclass(frozen=True)
class DtypeCase:
    op: str
    dtype: str
    build: Callable[[], bytes]


def dtype_cases() -> list[DtypeCase]:
    """(op, dtype) pairs whose acceptance is measured by running a valid model."""
    cases = [DtypeCase("DEQUANTIZE", dt, lambda dt=dt: dequantize_model(dt)) for dt in ("float16", "int8", "int16", "uint8")]
    for op, fn in (("ADD", _add), ("FULLY_CONNECTED", _fully_connected), ("CONV_2D", _conv_2d), ("SOFTMAX", _softmax)):
        cases += [DtypeCase(op, dt, lambda fn=fn, dt=dt: fn(dt)) for dt in ("float32", "int8", "int16")]
    return cases
