"""The models the GPU op probe hands to LiteRT's GPU accelerator.

Two kinds. Op cases: one single-op float model per builtin code and version (does the accelerator have a
parser for the op at that version? "Operation is not supported." / "Max version supported" come before
any parameter check, so a dummy model answers that). Variant cases: small VALID models for the parameter
choices the accelerator's checks depend on (index-tensor rank, axis masks, broadcasting, constant vs
runtime inputs, what feeds a DEQUANTIZE, runtime-shaped tensors, the custom ops ML Drift implements).
Each variant's ``key`` is what `toolkit.targets.gpu_verdict.variant_key` computes for an op of a real
model, so the static verdict can look the measured answer up.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from toolkit.model.builder import (
    ModelBuilder,
    build_single_op_model,
    dense_format_sparsity,
    densify_model,
    resource_variable_model,
    schema,
    while_model,
)  # fmt: skip
from toolkit.targets.probe_models import _options_for

#: ops with two runtime inputs of the same shape (the rest of the op cases get one input)
BINARY_OPS = {
    "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "POW", "SQUARED_DIFFERENCE", "FLOOR_DIV", "FLOOR_MOD",
    "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL", "LOGICAL_AND", "LOGICAL_OR",
    "ATAN2", "BATCH_MATMUL",
}  # fmt: skip
_SHAPE = [1, 8, 8, 4]

#: custom ops the GPU engine implements (MediaPipe models use them); probed with valid tensors
GPU_CUSTOM_OPS = ("Convolution2DTransposeBias", "MaxPoolingWithArgmax2D", "MaxUnpooling2D")


def _i32(*values: int) -> np.ndarray:
    return np.array(values, np.int32)


#: valid single-op cases for ops whose CPU kernel rejects a bare dummy at Prepare (which runs before the
#: accelerator partitions): (options class, {option: value}, constant inputs after x, output shape)
_W = np.full
_VALID: dict[str, tuple[str, dict[str, int | float], list[np.ndarray], list[int]]] = {
    "CONV_2D": ("Conv2DOptionsT", {"padding": 0, "strideW": 1, "strideH": 1, "dilationWFactor": 1,
                                   "dilationHFactor": 1}, [_W([4, 1, 1, 4], 0.1, np.float32), _W([4], 0.0, np.float32)],
                _SHAPE),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptionsT", {"padding": 0, "strideW": 1, "strideH": 1, "depthMultiplier": 1,
                                                      "dilationWFactor": 1, "dilationHFactor": 1},
                          [_W([1, 3, 3, 4], 0.1, np.float32), _W([4], 0.0, np.float32)], _SHAPE),
    "FULLY_CONNECTED": ("FullyConnectedOptionsT", {}, [_W([3, 4], 0.1, np.float32), _W([3], 0.0, np.float32)],
                        [1, 8, 8, 3]),
    "TRANSPOSE_CONV": ("TransposeConvOptionsT", {"padding": 0, "strideW": 2, "strideH": 2},
                       [_i32(1, 16, 16, 2), _W([2, 2, 2, 4], 0.1, np.float32)], [1, 16, 16, 2]),
    "MAX_POOL_2D": ("Pool2DOptionsT", {"padding": 1, "strideW": 2, "strideH": 2, "filterWidth": 2, "filterHeight": 2},
                    [], [1, 4, 4, 4]),
    "AVERAGE_POOL_2D": ("Pool2DOptionsT", {"padding": 1, "strideW": 2, "strideH": 2, "filterWidth": 2,
                                           "filterHeight": 2}, [], [1, 4, 4, 4]),
    "CONCATENATION": ("ConcatenationOptionsT", {"axis": 3}, [_W(_SHAPE, 0.5, np.float32)], [1, 8, 8, 8]),
    "SOFTMAX": ("SoftmaxOptionsT", {"beta": 1.0}, [], _SHAPE),
    "MEAN": ("ReducerOptionsT", {"keepDims": 1}, [_i32(1, 2)], [1, 1, 1, 4]),
    "SUM": ("ReducerOptionsT", {"keepDims": 1}, [_i32(1, 2)], [1, 1, 1, 4]),
    "REDUCE_MAX": ("ReducerOptionsT", {"keepDims": 1}, [_i32(1, 2)], [1, 1, 1, 4]),
    "REDUCE_MIN": ("ReducerOptionsT", {"keepDims": 1}, [_i32(1, 2)], [1, 1, 1, 4]),
    "REDUCE_PROD": ("ReducerOptionsT", {"keepDims": 1}, [_i32(1, 2)], [1, 1, 1, 4]),
    "PAD": ("PadOptionsT", {}, [_i32(0, 0, 1, 1, 1, 1, 0, 0).reshape(4, 2)], [1, 10, 10, 4]),
    "PADV2": ("PadV2OptionsT", {}, [_i32(0, 0, 1, 1, 1, 1, 0, 0).reshape(4, 2), _W([1], 0.0, np.float32)],
              [1, 10, 10, 4]),
    "MIRROR_PAD": ("MirrorPadOptionsT", {}, [_i32(0, 0, 1, 1, 1, 1, 0, 0).reshape(4, 2)], [1, 10, 10, 4]),
    "RESHAPE": ("ReshapeOptionsT", {}, [_i32(1, 64, 4)], [1, 64, 4]),
    "TRANSPOSE": ("TransposeOptionsT", {}, [_i32(0, 2, 1, 3)], _SHAPE),
    "RESIZE_BILINEAR": ("ResizeBilinearOptionsT", {}, [_i32(16, 16)], [1, 16, 16, 4]),
    "RESIZE_NEAREST_NEIGHBOR": ("ResizeNearestNeighborOptionsT", {}, [_i32(16, 16)], [1, 16, 16, 4]),
    "SLICE": ("SliceOptionsT", {}, [_i32(0, 0, 0, 0), _i32(1, 4, 4, 4)], [1, 4, 4, 4]),
    "TILE": ("TileOptionsT", {}, [_i32(1, 2, 1, 1)], [1, 16, 8, 4]),
    "DEPTH_TO_SPACE": ("DepthToSpaceOptionsT", {"blockSize": 2}, [], [1, 16, 16, 1]),
    "SPACE_TO_DEPTH": ("SpaceToDepthOptionsT", {"blockSize": 2}, [], [1, 4, 4, 16]),
    "ARG_MAX": ("ArgMaxOptionsT", {"outputType": 2}, [_i32(3)], [1, 8, 8]),
    "ARG_MIN": ("ArgMinOptionsT", {"outputType": 2}, [_i32(3)], [1, 8, 8]),
    "BROADCAST_TO": ("BroadcastToOptionsT", {}, [_i32(2, 8, 8, 4)], [2, 8, 8, 4]),
    "EXPAND_DIMS": ("ExpandDimsOptionsT", {}, [_i32(0)], [1, 1, 8, 8, 4]),
    "PRELU": ("", {}, [_W([1, 1, 4], 0.2, np.float32)], _SHAPE),
    "STRIDED_SLICE": ("StridedSliceOptionsT", {}, [_i32(0, 0, 0, 0), _i32(1, 4, 4, 4), _i32(1, 1, 1, 1)],
                      [1, 4, 4, 4]),
    "GATHER": ("GatherOptionsT", {"axis": 1}, [_i32(0, 2)], [1, 2, 8, 4]),
}  # fmt: skip
_OUTPUT_DTYPE = {"ARG_MAX": "int32", "ARG_MIN": "int32"}


def _quantize() -> bytes:
    b = ModelBuilder(description="edgetk gpu probe QUANTIZE")
    x, y = b.add_tensor(_SHAPE, name="x"), b.add_tensor(_SHAPE, "int8", name="y", scale=0.05)
    b.add_op("QUANTIZE", [x], [y])
    b.set_io([x], [y])
    return b.build()


def _split(op: str) -> bytes:
    """SPLIT (axis, x) or SPLIT_V (x, sizes, axis) of [1,8,8,4] into two [1,8,8,2] halves."""
    s = schema()
    b = ModelBuilder(description=f"edgetk gpu probe {op}")
    x = b.add_tensor(_SHAPE, name="x")
    axis = b.add_tensor([1], "int32", data=_i32(3))
    halves = [b.add_tensor([1, 8, 8, 2], name=f"y{i}") for i in range(2)]
    if op == "SPLIT":
        opts = s.SplitOptionsT()
        opts.numSplits = 2
        b.add_op("SPLIT", [axis, x], halves, options=opts)
    else:
        opts = s.SplitVOptionsT()
        opts.numSplits = 2
        b.add_op("SPLIT_V", [x, b.add_tensor([2], "int32", data=_i32(2, 2)), axis], halves, options=opts)
    b.set_io([x], halves)
    return b.build()


def _call_once() -> bytes:
    """CALL_ONCE of an init subgraph that assigns a resource variable the main graph reads, as stateful
    streaming models (microWakeWord) are written."""
    s = schema()
    b = ModelBuilder(description="edgetk gpu probe CALL_ONCE")
    init = b.new_subgraph("init")
    handle_opts = s.VarHandleOptionsT()
    handle_opts.container, handle_opts.sharedName = "", "state"
    h0 = b.add_tensor([], "resource", name="h0", subgraph=init)
    zeros = b.add_tensor([1, 4], data=np.zeros([1, 4], np.float32), subgraph=init)
    b.add_op("VAR_HANDLE", [], [h0], options=handle_opts, subgraph=init)
    b.add_op("ASSIGN_VARIABLE", [h0, zeros], [], options=s.AssignVariableOptionsT(), subgraph=init)
    b.set_io([], [], subgraph=init)
    call = s.CallOnceOptionsT()
    call.initSubgraphIndex = init
    x, h, state, y = (b.add_tensor([1, 4], name="x"), b.add_tensor([], "resource", name="h"),
                      b.add_tensor([1, 4], name="state"), b.add_tensor([1, 4], name="y"))
    b.add_op("CALL_ONCE", [], [], options=call)
    b.add_op("VAR_HANDLE", [], [h], options=handle_opts)
    b.add_op("READ_VARIABLE", [h], [state], options=s.ReadVariableOptionsT())
    b.add_op("ADD", [x, state], [y], options=s.AddOptionsT())
    b.set_io([x], [y])
    return b.build()


#: version-1 cases that need more than one op or output (the other versions stay dummies)
_SPECIAL: dict[str, Callable[[], bytes]] = {
    "DENSIFY": densify_model, "VAR_HANDLE": resource_variable_model, "READ_VARIABLE": resource_variable_model,
    "ASSIGN_VARIABLE": resource_variable_model, "CALL_ONCE": _call_once, "QUANTIZE": _quantize,
    "SPLIT": lambda: _split("SPLIT"), "SPLIT_V": lambda: _split("SPLIT_V"),
}  # fmt: skip


def op_case_model(op: str, version: int) -> bytes:
    """A single-op float model that the CPU kernel can Prepare where `_VALID` knows how; else a dummy."""
    if op in _SPECIAL and version == 1:
        return _SPECIAL[op]()
    if op not in _VALID:
        arity = 2 if op in BINARY_OPS else 1
        return build_single_op_model(op, version=version, input_dtypes=("float32",) * arity,
                                     shapes=[_SHAPE] * arity, builtin_options=_options_for(op))
    cls, fields, constants, out_shape = _VALID[op]
    s = schema()
    options = getattr(s, cls)() if cls and hasattr(s, cls) else None
    for name, value in fields.items():
        setattr(options, name, value)
    b = ModelBuilder(description=f"edgetk gpu probe {op} v{version}")
    x = b.add_tensor(_SHAPE, name="x")
    extra = [b.add_tensor(list(c.shape), str(c.dtype), data=c) for c in constants]
    inputs = [extra[0], extra[1], x] if op == "TRANSPOSE_CONV" else [x, *extra]
    y = b.add_tensor(out_shape, _OUTPUT_DTYPE.get(op, "float32"), name="y")
    b.add_op(op, inputs, [y], version=version, options=options)
    b.set_io([x], [y])
    return b.build()


@dataclass(frozen=True)
class VariantCase:
    op: str
    key: str  # "GATHER[indices_rank=2]": the op and the feature value variant_key() computes
    build: Callable[[], bytes]


def _gather(indices_shape: list[int]) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk gpu probe GATHER indices {indices_shape}")
    x = b.add_tensor([4, 8], name="params")
    idx = b.add_tensor(indices_shape, "int32", name="indices", data=np.zeros(indices_shape, np.int32))
    y = b.add_tensor([*indices_shape, 8], name="y")
    opts = s.GatherOptionsT()
    opts.axis = 0
    b.add_op("GATHER", [x, idx], [y], options=opts)
    b.set_io([x], [y])
    return b.build()


def _gather_runtime_scalar() -> bytes:
    """GATHER with a runtime scalar index (RNN loop bodies index the time step this way)."""
    s = schema()
    b = ModelBuilder(description="edgetk gpu probe GATHER runtime scalar index")
    x = b.add_tensor([6, 1, 3], name="params")
    idx = b.add_tensor([], "int32", name="step")
    y = b.add_tensor([1, 3], name="y")
    opts = s.GatherOptionsT()
    opts.axis = 0
    b.add_op("GATHER", [x, idx], [y], options=opts)
    b.set_io([x, idx], [y])
    return b.build()


def _rank5(op: str) -> bytes:
    """A rank-5 tensor through RESHAPE / ADD / MUL / TRANSPOSE / CONCATENATION (ConvLSTM2D graphs have them)."""
    s = schema()
    b = ModelBuilder(description=f"edgetk gpu probe {op} with rank-5 tensors")
    shape5 = [1, 2, 4, 4, 2]
    x = b.add_tensor(shape5, name="x")
    if op == "RESHAPE":
        y = b.add_tensor([1, 2, 16, 2], name="y")
        b.add_op(op, [x, b.add_tensor([4], "int32", data=_i32(1, 2, 16, 2))], [y], options=s.ReshapeOptionsT())
    elif op == "TRANSPOSE":
        y = b.add_tensor([1, 4, 2, 4, 2], name="y")
        b.add_op(op, [x, b.add_tensor([5], "int32", data=_i32(0, 2, 1, 3, 4))], [y], options=s.TransposeOptionsT())
    elif op == "CONCATENATION":
        y = b.add_tensor([1, 2, 4, 4, 4], name="y")
        opts = s.ConcatenationOptionsT()
        opts.axis = 4
        b.add_op(op, [x, x], [y], options=opts)
    else:
        y = b.add_tensor(shape5, name="y")
        b.add_op(op, [x, x], [y], options=s.AddOptionsT() if op == "ADD" else s.MulOptionsT())
    b.set_io([x], [y])
    return b.build()


def _strided_slice(shrink: int) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk gpu probe STRIDED_SLICE shrink_axis_mask={shrink}")
    x = b.add_tensor([1, 8, 4], name="x")
    begin = b.add_tensor([3], "int32", data=np.array([0, 0, 0], np.int32))
    end = b.add_tensor([3], "int32", data=np.array([1, 8, 4], np.int32))
    strides = b.add_tensor([3], "int32", data=np.array([1, 1, 1], np.int32))
    y = b.add_tensor([8, 4] if shrink else [1, 8, 4], name="y")
    opts = s.StridedSliceOptionsT()
    opts.shrinkAxisMask = shrink
    b.add_op("STRIDED_SLICE", [x, begin, end, strides], [y], options=opts)
    b.set_io([x], [y])
    return b.build()


def _dequantize_constant_fp16() -> bytes:
    """fp16 weights dequantized for a CONV_2D, as the converter writes float16-quantized models."""
    s = schema()
    b = ModelBuilder(description="edgetk gpu probe DEQUANTIZE of constant fp16 weights")
    x = b.add_tensor([1, 8, 8, 4], name="x")
    w16 = b.add_tensor([4, 1, 1, 4], "float16", data=np.full([4, 1, 1, 4], 0.25, np.float16))
    w = b.add_tensor([4, 1, 1, 4], name="w")
    bias = b.add_tensor([4], data=np.zeros([4], np.float32))
    y = b.add_tensor([1, 8, 8, 4], name="y")
    b.add_op("DEQUANTIZE", [w16], [w])
    opts = s.Conv2DOptionsT()
    opts.padding, opts.strideW, opts.strideH, opts.dilationWFactor, opts.dilationHFactor = s.Padding.SAME, 1, 1, 1, 1
    b.add_op("CONV_2D", [x, w, bias], [y], options=opts)
    b.set_io([x], [y])
    return b.build()


def _dequantize_runtime_int8() -> bytes:
    b = ModelBuilder(description="edgetk gpu probe DEQUANTIZE of a runtime int8 tensor")
    x = b.add_tensor([1, 8, 8, 4], "int8", name="x", scale=0.5)
    y = b.add_tensor([1, 8, 8, 4], name="y")
    b.add_op("DEQUANTIZE", [x], [y])
    b.set_io([x], [y])
    return b.build()


def _dequantize_of_densify() -> bytes:
    """Sparse fp16 weights: DENSIFY then DEQUANTIZE then ADD, as MediaPipe's *_sparse models are written."""
    s = schema()
    b = ModelBuilder(description="edgetk gpu probe DEQUANTIZE of a DENSIFY output")
    sparsity = dense_format_sparsity([2, 4])
    w = b.add_tensor([2, 4], "float16", name="w_sparse", data=np.arange(8, dtype=np.float16), sparsity=sparsity)
    dense16, dense = b.add_tensor([2, 4], "float16", name="w16"), b.add_tensor([2, 4], name="w")
    x, out = b.add_tensor([2, 4], name="x"), b.add_tensor([2, 4], name="out")
    b.add_op("DENSIFY", [w], [dense16], options=s.DensifyOptionsT())
    b.add_op("DEQUANTIZE", [dense16], [dense])
    b.add_op("ADD", [x, dense], [out], options=s.AddOptionsT())
    b.set_io([x], [out])
    return b.build()


def _add(second: list[int], constant: bool) -> bytes:
    s = schema()
    b = ModelBuilder(description=f"edgetk gpu probe ADD with {'constant' if constant else 'runtime'} {second}")
    x = b.add_tensor(_SHAPE, name="x")
    data = np.full(second, 0.5, np.float32) if constant else None
    other = b.add_tensor(second, name="other", data=data)
    y = b.add_tensor(_SHAPE, name="y")
    b.add_op("ADD", [x, other], [y], options=s.AddOptionsT())
    b.set_io([x] if constant else [x, other], [y])
    return b.build()


def _reshape_runtime_shape() -> bytes:
    """RESHAPE whose target shape is a graph input: its output is a dynamic-sized tensor."""
    s = schema()
    b = ModelBuilder(description="edgetk gpu probe RESHAPE to a runtime shape")
    x = b.add_tensor([1, 8], name="x")
    shape = b.add_tensor([2], "int32", name="shape")
    y = b.add_tensor([2, 4], name="y", shape_signature=[-1, -1])
    b.add_op("RESHAPE", [x, shape], [y], options=s.ReshapeOptionsT())
    b.set_io([x, shape], [y])
    return b.build()


def _transpose_conv_bias() -> bytes:
    """MediaPipe's Convolution2DTransposeBias: input, weights [O,H,W,I], bias; options = padding, strides."""
    b = ModelBuilder(description="edgetk gpu probe Convolution2DTransposeBias")
    x = b.add_tensor([1, 8, 8, 4], name="x")
    w = b.add_tensor([2, 2, 2, 4], data=np.full([2, 2, 2, 4], 0.1, np.float32))
    bias = b.add_tensor([2], data=np.zeros([2], np.float32))
    y = b.add_tensor([1, 16, 16, 2], name="y")
    params = struct.pack("<4i", 1, 2, 2, 0)  # TfLiteTransposeConvParams: SAME, stride 2x2, no activation
    b.add_op("CUSTOM", [x, w, bias], [y], custom_code="Convolution2DTransposeBias", custom_options=params)
    b.set_io([x], [y])
    return b.build()


#: TfLitePoolParams: padding VALID (2), stride 2x2, filter 2x2, no activation, computed padding zeros
_POOL_PARAMS = struct.pack("<10i", 2, 2, 2, 2, 2, 0, 0, 0, 0, 0)


def _pool_argmax() -> bytes:
    b = ModelBuilder(description="edgetk gpu probe MaxPoolingWithArgmax2D")
    x = b.add_tensor([1, 8, 8, 4], name="x")
    y = b.add_tensor([1, 4, 4, 4], name="y")
    idx = b.add_tensor([1, 4, 4, 4], name="argmax")
    params = _POOL_PARAMS
    b.add_op("CUSTOM", [x], [y, idx], custom_code="MaxPoolingWithArgmax2D", custom_options=params)
    b.set_io([x], [y, idx])
    return b.build()


def _unpool() -> bytes:
    b = ModelBuilder(description="edgetk gpu probe MaxUnpooling2D")
    x = b.add_tensor([1, 4, 4, 4], name="x")
    idx = b.add_tensor([1, 4, 4, 4], name="argmax")
    y = b.add_tensor([1, 8, 8, 4], name="y")
    params = _POOL_PARAMS
    b.add_op("CUSTOM", [x, idx], [y], custom_code="MaxUnpooling2D", custom_options=params)
    b.set_io([x, idx], [y])
    return b.build()


def variant_cases() -> list[VariantCase]:
    """Parameter variants whose acceptance the accelerator decides per op instance (not per op type)."""
    return [
        VariantCase("GATHER", "GATHER[indices_rank=1]", lambda: _gather([3])),
        VariantCase("GATHER", "GATHER[indices_rank=2]", lambda: _gather([1, 3])),
        VariantCase("GATHER", "GATHER[indices_rank=0]", _gather_runtime_scalar),
        *(VariantCase(op, f"{op}[rank=5+]", lambda op=op: _rank5(op))
          for op in ("RESHAPE", "ADD", "MUL", "TRANSPOSE", "CONCATENATION")),
        VariantCase("STRIDED_SLICE", "STRIDED_SLICE[shrink_axis_mask=0]", lambda: _strided_slice(0)),
        VariantCase("STRIDED_SLICE", "STRIDED_SLICE[shrink_axis_mask=set]", lambda: _strided_slice(1)),
        VariantCase("DEQUANTIZE", "DEQUANTIZE[input=constant]", _dequantize_constant_fp16),
        VariantCase("DEQUANTIZE", "DEQUANTIZE[input=runtime]", _dequantize_runtime_int8),
        VariantCase("DEQUANTIZE", "DEQUANTIZE[input=densify]", _dequantize_of_densify),
        VariantCase("ADD", "ADD[other=constant-broadcast]", lambda: _add([4], True)),
        VariantCase("ADD", "ADD[other=runtime-same]", lambda: _add(_SHAPE, False)),
        VariantCase("ADD", "ADD[other=runtime-broadcast]", lambda: _add([1, 1, 1, 4], False)),
        VariantCase("RESHAPE", "RESHAPE[shape=runtime]", _reshape_runtime_shape),
        VariantCase("WHILE", "WHILE[]", while_model),
        VariantCase("Convolution2DTransposeBias", "Convolution2DTransposeBias[]", _transpose_conv_bias),
        VariantCase("MaxPoolingWithArgmax2D", "MaxPoolingWithArgmax2D[]", _pool_argmax),
        VariantCase("MaxUnpooling2D", "MaxUnpooling2D[]", _unpool),
    ]
