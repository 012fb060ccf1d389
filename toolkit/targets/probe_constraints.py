"""The probe's models for kernel parameter constraints (toolkit/targets/constraints.py): one small VALID
single-op model per (op, feature, value), so a runtime that refuses it refuses the variant, not the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.model.builder import ModelBuilder, schema
from toolkit.targets.constraints import HIGH_RANK, HIGH_RANK_PROBED, PROBED_RANKS, RANK_LIMITED_OPS


@dataclass(frozen=True)
class ConstraintCase:
    op: str
    feature: str
    value: str
    build: Callable[[], bytes]


def _strided_slice(rank: int, runtime_inputs: tuple[str, ...] = ()) -> bytes:
    """x[1:2, 1:2, ...] on a [2]*rank input; begin/end/strides constants unless named in runtime_inputs."""
    b = ModelBuilder(description=f"edgetk probe STRIDED_SLICE rank {rank} runtime {runtime_inputs}")
    x = b.add_tensor([2] * rank, name="x")
    values = {"begin": [1] * rank, "end": [2] * rank, "strides": [1] * rank}
    params = {k: b.add_tensor([rank], "int32", name=k, data=None if k in runtime_inputs else np.array(v, np.int32))
              for k, v in values.items()}  # fmt: skip
    out = b.add_tensor([1] * rank, name="y")
    b.add_op("STRIDED_SLICE", [x, params["begin"], params["end"], params["strides"]], [out],
             options=schema().StridedSliceOptionsT())
    b.set_io([x, *(params[k] for k in runtime_inputs)], [out])
    return b.build()


def _set_quant(b: ModelBuilder, tensor: int, scales: list[float], zero_points: list[int], axis: int = 0) -> None:
    q = schema().QuantizationParametersT()
    q.scale, q.zeroPoint, q.quantizedDimension = scales, zero_points, axis
    b.subgraphs[0].tensors[tensor].quantization = q


def _weighted(op: str, kind: str) -> bytes:
    """FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D with float, hybrid (float x, int8 w) or int8 weights."""
    s = schema()
    b = ModelBuilder(description=f"edgetk probe {op} {kind}")
    act = "int8" if kind.startswith("int8") else "float32"
    if op == "FULLY_CONNECTED":
        x_shape, w_shape, out_shape, channels = [1, 4], [3, 4], [1, 3], 3
        opts: Any = s.FullyConnectedOptionsT()
    else:
        x_shape, out_shape = [1, 4, 4, 2], [1, 4, 4, 3 if op == "CONV_2D" else 2]
        w_shape = [3, 1, 1, 2] if op == "CONV_2D" else [1, 1, 1, 2]
        channels = w_shape[0] if op == "CONV_2D" else w_shape[3]
        opts = s.Conv2DOptionsT() if op == "CONV_2D" else s.DepthwiseConv2DOptionsT()
        opts.padding, opts.strideW, opts.strideH = s.Padding.SAME, 1, 1
        opts.dilationWFactor = opts.dilationHFactor = 1
        if op == "DEPTHWISE_CONV_2D":
            opts.depthMultiplier = 1
    x = b.add_tensor(x_shape, act, name="x", **({"scale": 0.5} if act == "int8" else {}))
    wdt = "float32" if kind == "float" else "int8"
    w = b.add_tensor(w_shape, wdt, data=np.full(w_shape, 0.25 if wdt == "float32" else 1, np.dtype(wdt)))
    axis = 3 if op == "DEPTHWISE_CONV_2D" else 0
    if wdt == "int8":
        per_channel = kind == "int8-per-channel" or (kind == "hybrid-int8" and op != "FULLY_CONNECTED")
        n = channels if per_channel else 1
        _set_quant(b, w, [0.5] * n, [0] * n, axis)
    bias_dt = "int32" if act == "int8" else "float32"
    bias = b.add_tensor([channels], bias_dt, data=np.zeros([channels], np.dtype(bias_dt)))
    if act == "int8":
        n = channels if kind == "int8-per-channel" else 1
        _set_quant(b, bias, [0.25] * n, [0] * n)
    out = b.add_tensor(out_shape, act, name="y", **({"scale": 0.5} if act == "int8" else {}))
    b.add_op(op, [x, w, bias], [out], options=opts)
    b.set_io([x], [out])
    return b.build()


def _broadcast(op: str, kind: str) -> bytes:
    s = schema()
    if kind == "same-shape":
        a_shape = b_shape = [1, 2, 2, 2]
    elif kind == "scalar":
        a_shape, b_shape = [1, 2, 2, 2], [1]
    else:
        rank = int(kind.split("-")[1])
        a_shape, b_shape = [2] + [1] * (rank - 1), [1] * (rank - 1) + [2]
    out_shape = [max(x, y) for x, y in zip([1] * (len(b_shape) - len(a_shape)) + a_shape,
                                             [1] * (len(a_shape) - len(b_shape)) + b_shape, strict=True)]
    b = ModelBuilder(description=f"edgetk probe {op} {kind}")
    x, y = b.add_tensor(a_shape, name="x"), b.add_tensor(b_shape, name="y")
    out = b.add_tensor(out_shape, name="z")
    b.add_op(op, [x, y], [out], options=s.AddOptionsT() if op == "ADD" else s.MulOptionsT())
    b.set_io([x, y], [out])
    return b.build()


def _softmax(kind: str) -> bytes:
    """int8 SOFTMAX with an ordinary input scale (1/16) or a tiny one (1e-9: beta x scale x 2**26 < 1)."""
    s = schema()
    b = ModelBuilder(description=f"edgetk probe SOFTMAX {kind}")
    x = b.add_tensor([1, 4], "int8", name="x", scale=1 / 16 if kind == "int8-normal" else 1e-9)
    out = b.add_tensor([1, 4], "int8", name="y", scale=1 / 256, zero_point=-128)
    opts = s.SoftmaxOptionsT()
    opts.beta = 1.0
    b.add_op("SOFTMAX", [x], [out], options=opts)
    b.set_io([x], [out])
    return b.build()


def _ranked(op: str, rank: int) -> bytes:
    """``op`` on a [1, ..., 1, 2] input of ``rank`` dimensions (a constant second operand where it takes one)."""
    s = schema()
    b = ModelBuilder(description=f"edgetk probe {op} rank {rank}")
    shape = [1] * (rank - 1) + [2]
    x, out_shape, inputs, opts = b.add_tensor(shape, name="x"), list(shape), [], None
    if op in ("ADD", "MUL"):
        inputs = [b.add_tensor(shape, name="c", data=np.ones(2, np.float32))]
        opts = s.AddOptionsT() if op == "ADD" else s.MulOptionsT()
    elif op == "TRANSPOSE":
        inputs = [b.add_tensor([rank], "int32", name="perm", data=np.arange(rank - 1, -1, -1, dtype=np.int32))]
        out_shape, opts = shape[::-1], s.TransposeOptionsT()
    elif op == "CONCATENATION":
        inputs = [b.add_tensor(shape, name="c", data=np.ones(2, np.float32))]
        out_shape[-1], opts = 4, s.ConcatenationOptionsT()
        opts.axis = rank - 1
    elif op == "SOFTMAX":
        opts = s.SoftmaxOptionsT()
        opts.beta = 1.0
    elif op == "MEAN":
        inputs = [b.add_tensor([1], "int32", name="axis", data=np.array([rank - 1], np.int32))]
        out_shape[-1], opts = 1, s.ReducerOptionsT()
        opts.keepDims = True
    out = b.add_tensor(out_shape, name="y")
    b.add_op(op, [x, *inputs], [out], options=opts)
    b.set_io([x], [out])
    return b.build()


def constraint_cases() -> list[ConstraintCase]:
    """Every (op, feature, value) the probe measures; values are what ``op_features`` reports."""
    cases = [ConstraintCase("STRIDED_SLICE", "input_rank", str(r), lambda r=r: _strided_slice(r)) for r in range(1, 7)]
    cases += [ConstraintCase("STRIDED_SLICE", k, v, lambda k=k, v=v: _strided_slice(3, (k,) if v == "runtime" else ()))
              for k in ("begin", "end", "strides") for v in ("constant", "runtime")]  # fmt: skip
    for op in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"):
        cases += [ConstraintCase(op, "quantization", kind, lambda op=op, kind=kind: _weighted(op, kind))
                  for kind in ("float", "hybrid-int8", "int8-per-tensor", "int8-per-channel")]
    for op in ("ADD", "MUL"):
        cases += [ConstraintCase(op, "broadcast", kind, lambda op=op, kind=kind: _broadcast(op, kind))
                  for kind in ("same-shape", "scalar", "rank-4", "rank-5", "rank-6")]
    cases += [ConstraintCase("SOFTMAX", "input_scale", kind, lambda kind=kind: _softmax(kind))
              for kind in ("int8-normal", "int8-tiny")]
    ranks = [(str(r), r) for r in PROBED_RANKS] + [(HIGH_RANK, HIGH_RANK_PROBED)]
    cases += [ConstraintCase(op, "rank", value, lambda op=op, r=r: _ranked(op, r))
              for op in RANK_LIMITED_OPS for value, r in ranks]
    return cases
