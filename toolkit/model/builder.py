"""Write small .tflite models with the TFLite schema's object API — no TensorFlow needed.

Used by the op-support probe (one operator per model, for every builtin code and version) and by tests
that need real models with exactly the feature under test (a SELECT v1, a float16 DEQUANTIZE, a CUSTOM
op, resource variables, a WHILE loop...). The schema module comes from ai-edge-litert (or tflite-micro),
imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from toolkit.errors import UnknownNameError
from toolkit.model.tflite_schema import tflite_schema

_EXTENDED_CODE_START = 127  # builtin codes >= 127 live in builtinCode; deprecatedBuiltinCode holds 127


def schema() -> Any:
    """The generated TFLite flatbuffer schema module (object API)."""
    return tflite_schema()


@cache
def builtin_names() -> dict[int, str]:
    """Builtin operator code -> name (e.g. 3 -> "CONV_2D") from the schema."""
    ops = schema().BuiltinOperator
    return {v: k for k, v in vars(ops).items() if not k.startswith("_") and isinstance(v, int)}


def builtin_code(op: str | int) -> int:
    if isinstance(op, int):
        return op
    codes = {name: code for code, name in builtin_names().items()}
    if op.upper() not in codes:
        raise UnknownNameError("builtin operator", op, list(codes))
    return codes[op.upper()]


def tensor_type(dtype: str) -> int:
    types = schema().TensorType
    name = dtype.upper()
    if not hasattr(types, name):
        raise UnknownNameError("tensor dtype", dtype, [k.lower() for k in vars(types) if not k.startswith("_")])
    return getattr(types, name)


def options_types(options: Any) -> tuple[str, int]:
    """Which union ("builtinOptions" or "builtinOptions2") an options object belongs to, and its type tag."""
    s = schema()
    name = type(options).__name__.removesuffix("T")
    if hasattr(s.BuiltinOptions, name):
        return "builtinOptions", getattr(s.BuiltinOptions, name)
    if hasattr(s.BuiltinOptions2, name):
        return "builtinOptions2", getattr(s.BuiltinOptions2, name)
    raise ValueError(f"{type(options).__name__} is not a builtin options type")


@dataclass
class ModelBuilder:
    """Accumulates tensors/operators per subgraph and packs them into .tflite bytes."""

    description: str = "edgetk builder"
    subgraphs: list[Any] = field(default_factory=list)
    buffers: list[Any] = field(default_factory=list)
    op_codes: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = schema()
        self.buffers.append(s.BufferT())  # buffer 0: the empty sentinel every model has
        self.new_subgraph("main")

    def new_subgraph(self, name: str) -> int:
        sg = schema().SubGraphT()
        sg.name, sg.tensors, sg.operators, sg.inputs, sg.outputs = name, [], [], [], []
        self.subgraphs.append(sg)
        return len(self.subgraphs) - 1

    def add_tensor(
        self,
        shape: Sequence[int],
        dtype: str = "float32",
        *,
        name: str | None = None,
        data: np.ndarray | bytes | None = None,
        scale: float | None = None,
        zero_point: int = 0,
        shape_signature: Sequence[int] | None = None,
        sparsity: Any = None,
        is_variable: bool = False,
        subgraph: int = 0,
    ) -> int:
        s = schema()
        sg = self.subgraphs[subgraph]
        t = s.TensorT()
        t.shape = [int(d) for d in shape]
        t.type = tensor_type(dtype)
        t.name = name or f"t{len(sg.tensors)}"
        t.buffer = 0
        t.isVariable = is_variable
        if shape_signature is not None:
            t.shapeSignature = [int(d) for d in shape_signature]
        if data is not None:
            buf = s.BufferT()
            buf.data = list(data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes())
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        if scale is not None:
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint = [float(scale)], [int(zero_point)]
            t.quantization = q
        t.sparsity = sparsity
        sg.tensors.append(t)
        return len(sg.tensors) - 1

    def op_code_index(self, op: str | int, version: int = 1, custom_code: str | None = None) -> int:
        code = builtin_code("CUSTOM" if custom_code else op)
        for i, oc in enumerate(self.op_codes):
            if oc.builtinCode == code and oc.version == version and oc.customCode == custom_code:
                return i
        oc = schema().OperatorCodeT()
        oc.builtinCode = code
        oc.deprecatedBuiltinCode = min(code, _EXTENDED_CODE_START)
        oc.version = version
        oc.customCode = custom_code
        self.op_codes.append(oc)
        return len(self.op_codes) - 1

    def add_op(
        self,
        op: str | int,
        inputs: Sequence[int],
        outputs: Sequence[int],
        *,
        version: int = 1,
        options: Any = None,
        custom_code: str | None = None,
        custom_options: bytes | None = None,
        subgraph: int = 0,
    ) -> None:
        o = schema().OperatorT()
        o.opcodeIndex = self.op_code_index(op, version, custom_code)
        o.inputs, o.outputs = list(inputs), list(outputs)
        if options is not None:
            union, tag = options_types(options)
            setattr(o, union, options)
            setattr(o, union + "Type", tag)
        if custom_options is not None:
            o.customOptions = list(custom_options)
        self.subgraphs[subgraph].operators.append(o)

    def set_io(self, inputs: Sequence[int], outputs: Sequence[int], subgraph: int = 0) -> None:
        sg = self.subgraphs[subgraph]
        sg.inputs, sg.outputs = list(inputs), list(outputs)

    def build(self) -> bytes:
        import flatbuffers

        s = schema()
        m = s.ModelT()
        m.version = 3
        m.description = self.description
        m.operatorCodes, m.subgraphs, m.buffers = self.op_codes, self.subgraphs, self.buffers
        fb = flatbuffers.Builder(1024)
        fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
        return bytes(fb.Output())


def build_single_op_model(
    op: str | int,
    *,
    version: int = 1,
    input_dtypes: Sequence[str] = ("float32",),
    shapes: Sequence[Sequence[int]] | None = None,
    output_dtype: str | None = None,
    output_shape: Sequence[int] | None = None,
    builtin_options: Any = None,
    custom_code: str | None = None,
) -> bytes:
    """One operator whose inputs are the graph inputs and whose single output is the graph output.

    The tensors are dummies unless the caller makes them valid: enough for "does a kernel exist" (the probe),
    not necessarily for Prepare/Invoke.
    """
    shapes = shapes or [[1, 4]] * len(input_dtypes)
    b = ModelBuilder(description=f"edgetk single-op {op} v{version}")
    ins = [b.add_tensor(shape, dtype, name=f"in{i}") for i, (dtype, shape) in enumerate(zip(input_dtypes, shapes, strict=True))]
    out = b.add_tensor(output_shape or shapes[0] if shapes else [1], output_dtype or (input_dtypes[0] if input_dtypes else "float32"), name="out")
    b.add_op(op, ins, [out], version=version, options=builtin_options, custom_code=custom_code)
    b.set_io(ins, [out])
    return b.build()


# --- Small VALID models with one feature each: tests run them through real runtimes. ----------------------


def _unary_float(op: str, *, custom_code: str | None = None, version: int = 1, options: Any = None) -> bytes:
    b = ModelBuilder(description=f"edgetk {custom_code or op} model")
    x = b.add_tensor([1, 4], name="x")
    y = b.add_tensor([1, 4], name="y")
    b.add_op(op, [x], [y], custom_code=custom_code, version=version, options=options)
    b.set_io([x], [y])
    return b.build()


def custom_op_model(custom_code: str = "EdgetkTestOp") -> bytes:
    """A CUSTOM op no runtime registers by default."""
    return _unary_float("CUSTOM", custom_code=custom_code)


def endless_while_model(step: int = 0) -> bytes:
    """WHILE (i < 2**30) { i += step }: with step 0 a loop no runtime ever leaves, and nothing static says so (a
    hang to test with); with step 2**29 the same graph returns after a couple of trips."""
    s = schema()
    b = ModelBuilder(description="edgetk endless while" if step == 0 else f"edgetk while, step {step}")
    cond, body = b.new_subgraph("cond"), b.new_subgraph("body")
    opts = s.WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = cond, body
    i0, i1 = b.add_tensor([1], "int32", name="i"), b.add_tensor([1], "int32", name="i_out")
    b.add_op("WHILE", [i0], [i1], options=opts)
    b.set_io([i0], [i1])
    ci = b.add_tensor([1], "int32", subgraph=cond)
    n = b.add_tensor([1], "int32", data=np.array([1 << 30], np.int32), subgraph=cond)
    flag = b.add_tensor([1], "bool", subgraph=cond)
    b.add_op("LESS", [ci, n], [flag], options=s.LessOptionsT(), subgraph=cond)
    b.set_io([ci], [flag], subgraph=cond)
    bi, bi2 = b.add_tensor([1], "int32", subgraph=body), b.add_tensor([1], "int32", subgraph=body)
    inc = b.add_tensor([1], "int32", data=np.array([step], np.int32), subgraph=body)
    b.add_op("ADD", [bi, inc], [bi2], options=s.AddOptionsT(), subgraph=body)
    b.set_io([bi], [bi2], subgraph=body)
    return b.build()


def detection_postprocess_model(boxes: int = 16, classes: int = 3, detections: int = 5) -> bytes:
    """An SSD detection head: TFLite's custom TFLite_Detection_PostProcess (box decoding + NMS) over constant
    anchors, with the flexbuffer options of TFLite's detection_postprocess kernel (what the TF Object Detection
    API's export writes). Registered by LiteRT, tflite-runtime and TFLM, unlike most custom ops."""
    from flatbuffers import flexbuffers

    b = ModelBuilder(description="edgetk SSD detection head")
    encodings = b.add_tensor([1, boxes, 4], name="box_encodings")
    scores = b.add_tensor([1, boxes, classes + 1], name="class_predictions")  # + the background class
    rng = np.random.default_rng(0)
    centres, sizes = rng.uniform(0.2, 0.8, (boxes, 2)), rng.uniform(0.1, 0.3, (boxes, 2))
    anchors = b.add_tensor([boxes, 4], name="anchors", data=np.concatenate([centres, sizes], 1).astype(np.float32))
    outs = [b.add_tensor([1, detections, 4], name="detection_boxes"),
            b.add_tensor([1, detections], name="detection_classes"),
            b.add_tensor([1, detections], name="detection_scores"), b.add_tensor([1], name="num_detections")]
    options = {"max_detections": detections, "max_classes_per_detection": 1, "detections_per_class": 10,
               "use_regular_nms": False, "nms_score_threshold": 0.3, "nms_iou_threshold": 0.6,
               "num_classes": classes, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}
    b.add_op("CUSTOM", [encodings, scores, anchors], outs, custom_code="TFLite_Detection_PostProcess",
             custom_options=bytes(flexbuffers.Dumps(options)))
    b.set_io([encodings, scores], outs)
    return b.build()


def flex_op_model(tf_op: str = "Cumprod") -> bytes:
    """A Flex (Select TF ops) op: custom code 'Flex<Op>', runnable only with the Flex delegate."""
    return _unary_float("CUSTOM", custom_code=f"Flex{tf_op}")


def versioned_op_model(op: str = "ADD", version: int = 99) -> bytes:
    """A valid elementwise op carrying an arbitrary op version."""
    b = ModelBuilder(description=f"edgetk {op} v{version}")
    x, y = b.add_tensor([1, 4], name="x"), b.add_tensor([1, 4], name="y")
    out = b.add_tensor([1, 4], name="out")
    b.add_op(op, [x, y], [out], version=version)
    b.set_io([x, y], [out])
    return b.build()


def select_model(version: int = 1) -> bytes:
    """SELECT (v1, what Keras masking emits) or SELECT_V2 when version == 2 of the select family."""
    s = schema()
    b = ModelBuilder(description="edgetk select")
    cond = b.add_tensor([1, 4], "bool", name="cond")
    x, y = b.add_tensor([1, 4], name="x"), b.add_tensor([1, 4], name="y")
    out = b.add_tensor([1, 4], name="out")
    if version == 2:
        b.add_op("SELECT_V2", [cond, x, y], [out], options=s.SelectV2OptionsT())
    else:
        b.add_op("SELECT", [cond, x, y], [out], options=s.SelectOptionsT())
    b.set_io([cond, x, y], [out])
    return b.build()


def dense_format_sparsity(shape: Sequence[int]) -> Any:
    """Sparsity metadata that stores every dimension DENSE: the smallest valid input of a DENSIFY op."""
    s = schema()
    sparsity = s.SparsityParametersT()
    sparsity.traversalOrder = list(range(len(shape)))
    dims = []
    for size in shape:
        dm = s.DimensionMetadataT()
        dm.format, dm.denseSize = s.DimensionType.DENSE, int(size)
        dims.append(dm)
    sparsity.dimMetadata = dims
    return sparsity


def densify_model() -> bytes:
    """DENSIFY of a constant 'sparse' weight (dense-format sparsity metadata), added to the input."""
    s = schema()
    b = ModelBuilder(description="edgetk densify")
    sparsity = dense_format_sparsity([2, 4])
    w = b.add_tensor([2, 4], name="w_sparse", data=np.arange(8, dtype=np.float32), sparsity=sparsity)
    dense = b.add_tensor([2, 4], name="w")
    x = b.add_tensor([2, 4], name="x")
    out = b.add_tensor([2, 4], name="out")
    b.add_op("DENSIFY", [w], [dense], options=s.DensifyOptionsT())
    b.add_op("ADD", [x, dense], [out], options=s.AddOptionsT())
    b.set_io([x], [out])
    return b.build()


def dequantize_model(input_dtype: str = "float16") -> bytes:
    """DEQUANTIZE to float32: a constant float16 weight (as float16-quantized converters emit) or an
    int8/int16/uint8 graph input."""
    s = schema()
    b = ModelBuilder(description=f"edgetk dequantize {input_dtype}")
    if input_dtype == "float16":
        w = b.add_tensor([1, 4], "float16", name="w16", data=np.array([[1, 2, 3, 4]], dtype=np.float16))
        wf = b.add_tensor([1, 4], name="w")
        x = b.add_tensor([1, 4], name="x")
        out = b.add_tensor([1, 4], name="out")
        b.add_op("DEQUANTIZE", [w], [wf], options=s.DequantizeOptionsT())
        b.add_op("ADD", [x, wf], [out], options=s.AddOptionsT())
        b.set_io([x], [out])
    else:
        x = b.add_tensor([1, 4], input_dtype, name="x", scale=0.5, zero_point=0)
        out = b.add_tensor([1, 4], name="out")
        b.add_op("DEQUANTIZE", [x], [out], options=s.DequantizeOptionsT())
        b.set_io([x], [out])
    return b.build()


def resource_variable_model() -> bytes:
    """VAR_HANDLE + ASSIGN_VARIABLE + READ_VARIABLE: a stateful model's resource variables."""
    s = schema()
    b = ModelBuilder(description="edgetk resource variables")
    opts = s.VarHandleOptionsT()
    opts.container, opts.sharedName = "", "state"
    x = b.add_tensor([1, 4], name="x")
    handle = b.add_tensor([], "resource", name="handle")
    out = b.add_tensor([1, 4], name="out")
    b.add_op("VAR_HANDLE", [], [handle], options=opts)
    b.add_op("ASSIGN_VARIABLE", [handle, x], [], options=s.AssignVariableOptionsT())
    b.add_op("READ_VARIABLE", [handle], [out], options=s.ReadVariableOptionsT())
    b.set_io([x], [out])
    return b.build()


def while_model(iterations: int = 3) -> bytes:
    """WHILE (i < n) { i += 1; x *= 2 } with cond and body subgraphs: the control flow RNNs lower to."""
    s = schema()
    b = ModelBuilder(description="edgetk while")
    cond, body = b.new_subgraph("cond"), b.new_subgraph("body")
    i0 = b.add_tensor([1], "int32", name="i")
    x0 = b.add_tensor([1, 4], name="x")
    i_out, x_out = b.add_tensor([1], "int32", name="i_out"), b.add_tensor([1, 4], name="x_out")
    opts = s.WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = cond, body
    b.add_op("WHILE", [i0, x0], [i_out, x_out], options=opts)
    b.set_io([i0, x0], [i_out, x_out])

    ci, cx = b.add_tensor([1], "int32", subgraph=cond), b.add_tensor([1, 4], subgraph=cond)
    n = b.add_tensor([1], "int32", data=np.array([iterations], np.int32), subgraph=cond)
    flag = b.add_tensor([1], "bool", subgraph=cond)
    b.add_op("LESS", [ci, n], [flag], options=s.LessOptionsT(), subgraph=cond)
    b.set_io([ci, cx], [flag], subgraph=cond)

    bi, bx = b.add_tensor([1], "int32", subgraph=body), b.add_tensor([1, 4], subgraph=body)
    one = b.add_tensor([1], "int32", data=np.array([1], np.int32), subgraph=body)
    two = b.add_tensor([1], data=np.array([2.0], np.float32), subgraph=body)
    bi2, bx2 = b.add_tensor([1], "int32", subgraph=body), b.add_tensor([1, 4], subgraph=body)
    b.add_op("ADD", [bi, one], [bi2], options=s.AddOptionsT(), subgraph=body)
    b.add_op("MUL", [bx, two], [bx2], options=s.MulOptionsT(), subgraph=body)
    b.set_io([bi, bx], [bi2, bx2], subgraph=body)
    return b.build()


def fc_loop_model(trips: int = 4, width: int = 512) -> bytes:
    """WHILE (i < trips) { i += 1; x = tanh(x @ W) } with i starting at the constant 0: a loop whose trip
    count is static and whose body op (a 512×512 FULLY_CONNECTED) costs well above an invoke's floor."""
    s = schema()
    b = ModelBuilder(description="edgetk fc loop")
    cond, body = b.new_subgraph("cond"), b.new_subgraph("body")
    i0 = b.add_tensor([], "int32", data=np.array(0, np.int32), name="i0")
    x0 = b.add_tensor([1, width], name="x")
    i_out, x_out = b.add_tensor([], "int32", name="i_out"), b.add_tensor([1, width], name="x_out")
    opts = s.WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = cond, body
    b.add_op("WHILE", [i0, x0], [i_out, x_out], options=opts)
    b.set_io([x0], [x_out])

    ci, cx = b.add_tensor([], "int32", subgraph=cond), b.add_tensor([1, width], subgraph=cond)
    n = b.add_tensor([], "int32", data=np.array(trips, np.int32), subgraph=cond)
    flag = b.add_tensor([], "bool", subgraph=cond)
    b.add_op("LESS", [ci, n], [flag], options=s.LessOptionsT(), subgraph=cond)
    b.set_io([ci, cx], [flag], subgraph=cond)

    bi, bx = b.add_tensor([], "int32", subgraph=body), b.add_tensor([1, width], subgraph=body)
    one = b.add_tensor([], "int32", data=np.array(1, np.int32), subgraph=body)
    weights = (np.random.default_rng(0).standard_normal((width, width)) * 0.01).astype(np.float32)
    w = b.add_tensor([width, width], data=weights, subgraph=body)
    bi2, h, bx2 = (b.add_tensor([], "int32", subgraph=body), b.add_tensor([1, width], subgraph=body),
                   b.add_tensor([1, width], subgraph=body))
    b.add_op("ADD", [bi, one], [bi2], options=s.AddOptionsT(), subgraph=body)
    b.add_op("FULLY_CONNECTED", [bx, w, -1], [h], options=s.FullyConnectedOptionsT(), subgraph=body)
    b.add_op("TANH", [h], [bx2], subgraph=body)
    b.set_io([bi, bx], [bi2, bx2], subgraph=body)
    return b.build()


def dynamic_batch_model() -> bytes:
    """ADD whose input has a dynamic batch dimension (shape_signature -1), as Keras 3 export writes."""
    s = schema()
    b = ModelBuilder(description="edgetk dynamic batch")
    x = b.add_tensor([1, 4], name="x", shape_signature=[-1, 4])
    y = b.add_tensor([1, 4], name="y", shape_signature=[-1, 4])
    b.add_op("RELU", [x], [y], options=None)
    b.set_io([x], [y])
    del s
    return b.build()
