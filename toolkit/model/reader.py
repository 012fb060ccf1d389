"""Read a .tflite flatbuffer into validated views, without TensorFlow and without copying weights.

The file is memory-mapped and walked once with the schema's generated accessors (never the object API
``ModelT``, which copies every weight buffer). Every vector is bounds-checked before it is iterated and
every index (tensor, opcode, buffer, subgraph) is range-checked, so a corrupt file becomes one
``MalformedModelError`` here instead of an IndexError or struct.error somewhere in `check` or `bench`.
"""

from __future__ import annotations

import itertools
import math
import mmap
import re
import struct
from pathlib import Path
from typing import Any

import flatbuffers

from toolkit.errors import MalformedModelError, did_you_mean
from toolkit.model import schema_names as names
from toolkit.model.tflite_schema import tflite_schema
from toolkit.model.views import BufferExtent, Operator, Quantization, Signature, Subgraph, Tensor, TfliteModel

schema = tflite_schema()

FILE_IDENTIFIER = b"TFL3"
_UOFFSET = flatbuffers.number_types.UOffsetTFlags
# Errors the flatbuffers runtime raises on out-of-range reads (TypeError: its negative-offset guard).
_DECODE_ERRORS = (struct.error, TypeError, ValueError, IndexError, OverflowError)
# No runtime can allocate a tensor of 2**63 elements (byte sizes are size_t); bigger shapes are corruption
# and would make the cost model's integers too long to print or to serialize as JSON.
_MAX_ELEMENTS = 1 << 63


class _Corrupt(Exception):
    """Internal: a structural problem found while walking the file; becomes MalformedModelError."""


class _Walker:
    """Bounds-checked helpers over one buffer. Vtable offsets (4, 6, ...) are the schema's field slots."""

    def __init__(self, buf: mmap.mmap | bytes) -> None:
        self.buf = buf
        self.size = len(buf)

    def vector(self, obj: Any, voffset: int, elem_size: int, what: str) -> int:
        """Length of a vector field after checking all of its elements lie inside the file."""
        tab = obj._tab
        o = tab.Offset(voffset)
        if o == 0:
            return 0
        start = tab.Vector(o)
        n = tab.VectorLen(o)
        if start + n * elem_size > self.size:
            raise _Corrupt(f"{what}: vector of {n} elements runs past the end of the file")
        return n

    def string(self, obj: Any, voffset: int, what: str) -> str | None:
        tab = obj._tab
        o = tab.Offset(voffset)
        if o == 0:
            return None
        pos = tab.Pos + o
        start = pos + tab.Get(_UOFFSET, pos)
        n = tab.Get(_UOFFSET, start)
        if start + 4 + n > self.size:
            raise _Corrupt(f"{what}: string of {n} bytes runs past the end of the file")
        return bytes(self.buf[start + 4 : start + 4 + n]).decode("utf-8", "replace")

    def ints(self, obj: Any, voffset: int, numpy_getter: str, elem_size: int, what: str) -> tuple[int, ...]:
        if self.vector(obj, voffset, elem_size, what) == 0:
            return ()
        return tuple(getattr(obj, numpy_getter)().tolist())


def _check_index(value: int, limit: int, what: str, allow_omitted: bool = False) -> int:
    if allow_omitted and value == -1:
        return value
    if not 0 <= value < limit:
        raise _Corrupt(f"{what} {value} out of range (0..{limit - 1})")
    return value


def _buffer_extents(w: _Walker, model: schema.Model) -> tuple[BufferExtent, ...]:
    n = w.vector(model, 12, 4, "buffers")
    extents = []
    for i in range(n):
        buf = model.Buffers(i)
        length = w.vector(buf, 4, 1, f"buffer {i}")
        if length:
            start = buf._tab.Vector(buf._tab.Offset(4))
            extents.append(BufferExtent(start, length))
            continue
        offset, size = buf.Offset(), buf.Size()
        if offset > 1 and size > 0:  # weights appended after the flatbuffer (models > 2 GB)
            if offset + size > w.size:
                raise _Corrupt(f"buffer {i}: {size} bytes at offset {offset} run past the end of the file")
            extents.append(BufferExtent(offset, size))
        else:
            extents.append(BufferExtent(0, 0))
    return tuple(extents)


def _opcodes(w: _Walker, model: schema.Model) -> list[tuple[str, int | None, str | None, int]]:
    """(name, builtin_code or None, custom_code, version) per operator code."""
    result = []
    for i in range(w.vector(model, 6, 4, "operator_codes")):
        oc = model.OperatorCodes(i)
        # Extended codes (>= 127) live in builtin_code while the deprecated int8 field holds 127.
        code = max(oc.DeprecatedBuiltinCode(), oc.BuiltinCode())
        custom = w.string(oc, 6, f"operator_codes[{i}].custom_code")
        if code < 0:
            raise _Corrupt(f"operator_codes[{i}]: negative builtin code {code}")
        if code == names.CUSTOM_CODE:
            result.append((custom or "CUSTOM", None, custom, oc.Version()))
        else:
            result.append((names.op_name(code), code, None, oc.Version()))
    return result


def _quantization(w: _Walker, tensor: schema.Tensor, what: str) -> Quantization | None:
    q = tensor.Quantization()
    if q is None:
        return None
    n_scale = w.vector(q, 8, 4, f"{what}.quantization.scale")
    n_zero = w.vector(q, 10, 8, f"{what}.quantization.zero_point")
    if n_scale == 0 and n_zero == 0:
        return None  # min/max only (calibration leftovers): not a quantized tensor
    scales = tuple(q.ScaleAsNumpy().tolist()) if n_scale else ()
    zeros = tuple(q.ZeroPointAsNumpy().tolist()) if n_zero else ()
    return Quantization(scales, zeros, q.QuantizedDimension())


def _tensors(
    w: _Walker, sg: schema.SubGraph, si: int, extents: tuple[BufferExtent, ...]
) -> tuple[Tensor, ...]:
    tensors = []
    for ti in range(w.vector(sg, 4, 4, f"subgraph {si} tensors")):
        t = sg.Tensors(ti)
        what = f"subgraph {si} tensor {ti}"
        dtype = names.DTYPE_NAMES.get(t.Type())
        if dtype is None:
            raise _Corrupt(f"{what}: unknown tensor type {t.Type()}")
        shape = w.ints(t, 4, "ShapeAsNumpy", 4, f"{what}.shape")
        signature = w.ints(t, 18, "ShapeSignatureAsNumpy", 4, f"{what}.shape_signature") or shape
        if len(signature) != len(shape):
            raise _Corrupt(f"{what}: shape_signature rank {len(signature)} != shape rank {len(shape)}")
        if math.prod(max(d, 1) for d in shape) >= _MAX_ELEMENTS:
            raise _Corrupt(f"{what}: shape of rank {len(shape)} has 2**63 or more elements")
        buffer_index = t.Buffer()
        if extents or buffer_index:
            _check_index(buffer_index, len(extents), f"{what}: buffer index")
        nbytes = extents[buffer_index].nbytes if extents else 0
        name = w.string(t, 10, f"{what}.name") or ""
        tensors.append(Tensor(ti, name, dtype, shape, signature, _quantization(w, t, what), buffer_index,
                              nbytes, bool(t.IsVariable())))  # fmt: skip
    return tuple(tensors)


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _plain(value: Any) -> Any:
    """Object-API option values as JSON-able Python values (numpy arrays, nested option objects)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__"):
        return {_CAMEL.sub("_", k).lower(): _plain(v) for k, v in vars(value).items()}
    return value


def _options(op: schema.Operator) -> dict[str, Any]:
    """Builtin options (and the StableHLO BuiltinOptions2) as a snake_case dict; small tables, cheap to copy."""
    found: dict[str, Any] = {}
    for type_getter, table_getter, creator in (
        (op.BuiltinOptionsType, op.BuiltinOptions, schema.BuiltinOptionsCreator),
        (op.BuiltinOptions2Type, op.BuiltinOptions2, schema.BuiltinOptions2Creator),
    ):
        kind = type_getter()
        if kind:
            obj = creator(kind, table_getter())
            if obj is not None:
                found.update(_plain(obj))
    return found


def _called_subgraphs(options: dict[str, Any]) -> tuple[int, ...]:
    """Subgraphs a control-flow op runs: WHILE cond/body, IF then/else, CALL_ONCE init, StableHLO bodies."""
    called: list[int] = []
    for key, value in options.items():
        if key.endswith("subgraph_index") or key == "subgraph":
            called.append(int(value))
        elif key.endswith("subgraph_indices"):
            called.extend(int(v) for v in value or ())
    return tuple(called)


def _operators(w: _Walker, sg: schema.SubGraph, si: int, n_tensors: int, n_subgraphs: int,
               opcodes: list[tuple[str, int | None, str | None, int]]) -> tuple[Operator, ...]:  # fmt: skip
    ops = []
    for oi in range(w.vector(sg, 10, 4, f"subgraph {si} operators")):
        op = sg.Operators(oi)
        what = f"subgraph {si} operator {oi}"
        opcode_index = _check_index(op.OpcodeIndex(), len(opcodes), f"{what}: opcode index")
        name, code, custom, version = opcodes[opcode_index]
        inputs = w.ints(op, 6, "InputsAsNumpy", 4, f"{what}.inputs")
        outputs = w.ints(op, 8, "OutputsAsNumpy", 4, f"{what}.outputs")
        for t in inputs:
            _check_index(t, n_tensors, f"{what} ({name}): input tensor", allow_omitted=True)
        for t in outputs:
            _check_index(t, n_tensors, f"{what} ({name}): output tensor")
        options = _options(op)
        called = _called_subgraphs(options)
        for c in called:
            _check_index(c, n_subgraphs, f"{what} ({name}): called subgraph")
        ops.append(
            Operator(oi, si, name, code, custom, version, inputs, outputs, opcode_index, called, options)
        )
    return tuple(ops)


def _subgraphs(w: _Walker, model: schema.Model, extents: tuple[BufferExtent, ...]) -> tuple[Subgraph, ...]:
    opcodes = _opcodes(w, model)
    n_subgraphs = w.vector(model, 8, 4, "subgraphs")
    if n_subgraphs == 0:
        raise _Corrupt("no subgraphs")
    result = []
    for si in range(n_subgraphs):
        sg = model.Subgraphs(si)
        tensors = _tensors(w, sg, si, extents)
        inputs = w.ints(sg, 6, "InputsAsNumpy", 4, f"subgraph {si} inputs")
        outputs = w.ints(sg, 8, "OutputsAsNumpy", 4, f"subgraph {si} outputs")
        for t in inputs + outputs:
            _check_index(t, len(tensors), f"subgraph {si}: input/output tensor")
        ops = _operators(w, sg, si, len(tensors), n_subgraphs, opcodes)
        name = w.string(sg, 12, f"subgraph {si}.name") or ""
        result.append(Subgraph(si, name, inputs, outputs, tensors, ops))
    return tuple(result)


def _tensor_map(
    w: _Walker, sig: schema.SignatureDef, voffset: int, subgraph: Subgraph, what: str
) -> dict[str, int]:
    getter = sig.Inputs if voffset == 4 else sig.Outputs
    mapping = {}
    for i in range(w.vector(sig, voffset, 4, what)):
        tm = getter(i)
        name = w.string(tm, 4, f"{what}[{i}].name") or ""
        mapping[name] = _check_index(tm.TensorIndex(), len(subgraph.tensors), f"{what} '{name}': tensor")
    return mapping


def _signatures(w: _Walker, model: schema.Model, subgraphs: tuple[Subgraph, ...]) -> tuple[Signature, ...]:
    result = []
    for i in range(w.vector(model, 18, 4, "signature_defs")):
        sig = model.SignatureDefs(i)
        key = w.string(sig, 8, f"signature_defs[{i}].key") or ""
        si = _check_index(sig.SubgraphIndex(), len(subgraphs), f"signature '{key}': subgraph")
        inputs = _tensor_map(w, sig, 4, subgraphs[si], f"signature '{key}' inputs")
        outputs = _tensor_map(w, sig, 6, subgraphs[si], f"signature '{key}' outputs")
        result.append(Signature(key, si, inputs, outputs))
    return tuple(result)


def _metadata(w: _Walker, model: schema.Model, extents: tuple[BufferExtent, ...]) -> dict[str, bytes]:
    found = {}
    for i in range(w.vector(model, 16, 4, "metadata")):
        entry = model.Metadata(i)
        name = w.string(entry, 4, f"metadata[{i}].name") or ""
        extent = extents[_check_index(entry.Buffer(), len(extents), f"metadata '{name}': buffer")]
        found[name] = bytes(w.buf[extent.start : extent.start + extent.nbytes])
    return found


def parse_model(data: mmap.mmap | bytes, path: Path) -> TfliteModel:
    """Validate and read a model held in memory; `path` only names it in messages."""
    if len(data) < 8:
        raise MalformedModelError(path, f"{len(data)} bytes is too short for a flatbuffer")
    if bytes(data[4:8]) != FILE_IDENTIFIER:
        raise _foreign_format(path, bytes(data[:8])) or MalformedModelError(
            path, f"file identifier {bytes(data[4:8])!r}, expected {FILE_IDENTIFIER!r}")
    w = _Walker(data)
    try:
        model = schema.Model.GetRootAs(data, 0)
        extents = _buffer_extents(w, model)
        subgraphs = _subgraphs(w, model, extents)
        return TfliteModel(
            path=path, data=data, schema_version=model.Version(), producer=w.string(model, 10, "description"),
            subgraphs=subgraphs, signatures=_signatures(w, model, subgraphs),
            metadata=_metadata(w, model, extents), buffers=extents,
        )  # fmt: skip
    except _Corrupt as exc:
        raise MalformedModelError(path, str(exc)) from None
    except _DECODE_ERRORS as exc:
        raise MalformedModelError(path, f"corrupt flatbuffer: {type(exc).__name__}: {exc}") from None


#: leading bytes of the files people hand to inspect/check by mistake, and what they are
_FOREIGN_MAGIC = ((b"PK\x03\x04", "a Keras model (.keras, a zip archive)"),
                  (b"\x89HDF\r\n\x1a\n", "a Keras HDF5 model (.h5)"))
_FOREIGN_SUFFIX = {".keras": "a Keras model (.keras)", ".h5": "a Keras HDF5 model (.h5)",
                   ".hdf5": "a Keras HDF5 model (.h5)", ".pb": "a frozen TensorFlow graph (.pb)",
                   ".onnx": "an ONNX model (edgetk converts TensorFlow models only)"}


def _convert_first(path: Path, what: str) -> MalformedModelError:
    output = f"{path.stem or 'model'}{'-converted' if path.suffix == '.tflite' else ''}.tflite"
    command = f"edgetk convert {path} -o {output}"
    return MalformedModelError(path, what, message=f"{path} is {what}, not a .tflite file: run `{command}` first")


def _not_a_model_file(path: Path) -> MalformedModelError | None:
    """The error for a path that is not a .tflite file at all, with the fix (None when it is a file)."""
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return _convert_first(path, "a SavedModel directory")
        inside = sorted(p.name for p in path.glob("*.tflite"))[:3]
        where = f" (it holds {', '.join(inside)})" if inside else ""
        return MalformedModelError(path, "Is a directory", message=f"{path} is a directory, not a .tflite file{where}")
    if path.exists():
        if not path.is_file():  # a named pipe would block open() forever; a device node is not a model
            return MalformedModelError(path, "not a regular file",
                                       message=f"{path} is not a regular file (a pipe or device); save the model to a file")
        return None
    if not path.parent.is_dir():
        return MalformedModelError(path, "No such file", message=f"{path}: no such file (no directory {path.parent})")
    siblings = sorted(p.name for p in itertools.islice(path.parent.iterdir(), 5000))
    near = did_you_mean(path.name, siblings, prefixes=False)
    hint = f" (did you mean {' or '.join(str(path.parent / n) for n in near)}?)" if near else ""
    return MalformedModelError(path, "No such file", message=f"{path}: no such file{hint}")


def _foreign_format(path: Path, head: bytes) -> MalformedModelError | None:
    for magic, what in _FOREIGN_MAGIC:
        if head.startswith(magic):
            return _convert_first(path, what)
    what = _FOREIGN_SUFFIX.get(path.suffix.lower())
    return _convert_first(path, what) if what else None


def load_model(path: str | Path) -> TfliteModel:
    """Memory-map and validate a .tflite file. Any unreadable or malformed input is a MalformedModelError;
    a missing file, a directory, a SavedModel or a Keras file say so and name the fix."""
    path = Path(path)
    problem = _not_a_model_file(path)
    if problem is not None:
        raise problem
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            if size < 8:
                raise MalformedModelError(path, f"{size} bytes is too short for a flatbuffer")
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if hasattr(mmap, "MADV_RANDOM"):  # no read-ahead: reading the graph must not page in the weights
            data.madvise(mmap.MADV_RANDOM)
    except OSError as exc:
        raise MalformedModelError(path, exc.strerror or type(exc).__name__) from None
    try:
        return parse_model(data, path)
    except MalformedModelError:
        data.close()
        raise
