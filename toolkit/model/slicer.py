"""Slice a .tflite model into single-op models: the isolated-op method of `bench --per-op`.

Each slice is one operator of the main subgraph with its real tensors — shapes, dtypes, quantization
(per-tensor and per-channel), its constant weights copied byte for byte, its builtin/custom options and its
op code (builtin code, version, custom code). Its non-constant inputs become the slice's inputs, its outputs
the slice's outputs. A control-flow op (WHILE, IF, CALL_ONCE...) keeps the model's other subgraphs, so its
bodies run inside the slice as sub-models. Ops that cannot be timed alone are skipped with the reason.
``slice_bodies`` slices the ops of those bodies too (a WHILE's cond and body, an IF's branches), with the
WHILE's static trip count when its cond and body say it (``toolkit.model.trip_count``); a body op's loop
counter input is frozen at its constant start so an index stays in range.

Neither Python runtime API exposes the interpreter's profiler, so timing a slice on the SAME transport and
runtime as the whole model is how edgetk measures an op; the sum of slice times against the whole-model
latency says how far the method can be trusted (fusion, caching and invoke overhead move it).
No TensorFlow: the TFLite schema's object API (see ``toolkit.model.builder``) reads and packs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.model.builder import builtin_names, schema

#: Builtin option fields that name subgraphs (the op runs them: its slice keeps every subgraph).
_SUBGRAPH_FIELDS = ("condSubgraphIndex", "bodySubgraphIndex", "thenSubgraphIndex", "elseSubgraphIndex",
                    "initSubgraphIndex", "subgraph", "branchSubgraphIndices", "decompositionSubgraphIndex")
#: Ops whose kernels compute a constant input's result once and reuse it (TFLite's DEQUANTIZE and DENSIFY)
_RUN_ONCE = frozenset({"DEQUANTIZE", "DENSIFY"})
#: Ops whose state lives outside the op (a resource or a variable): alone they time nothing real.
_STATEFUL = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "HASHTABLE", "HASHTABLE_FIND",
                       "HASHTABLE_IMPORT", "HASHTABLE_SIZE"})


@dataclass(frozen=True)
class OpSlice:
    """One operator of the main subgraph as a model of its own (``data`` is None when skipped)."""

    index: int
    op: str
    data: bytes | None
    skipped: str | None = None  # why the op was not sliced
    with_subgraphs: bool = False  # a control-flow op whose bodies ride along
    subgraph: int = 0  # the subgraph the op belongs to (a body's, for ``slice_bodies``)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "op": self.op, "skipped": self.skipped, "with_subgraphs": self.with_subgraphs,
                "subgraph": self.subgraph}


def _op_name(model: Any, op: Any) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    name = builtin_names().get(builtin, f"BUILTIN_{builtin}")
    if name == "CUSTOM":
        custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
        return f"CUSTOM({custom})"
    return name


def _calls_subgraphs(op: Any) -> bool:
    options = [getattr(op, union, None) for union in ("builtinOptions", "builtinOptions2")]
    return any(o is not None and any(hasattr(o, f) for f in _SUBGRAPH_FIELDS) for o in options)


def _has_data(model: Any, tensor: Any) -> bool:
    buf = model.buffers[tensor.buffer] if 0 < tensor.buffer < len(model.buffers) else None
    return buf is not None and buf.data is not None and len(buf.data) > 0


def _folded_weights(model: Any, sg: Any, producers: dict[int, Any], i: int) -> bytes | None:
    """float32 bytes of tensor ``i`` when the whole model computes it once from a constant (a DEQUANTIZE of
    float16 weights, as MediaPipe models store them): the slice gets them as the constant they are at run
    time, since kernels such as XNNPACK's or Convolution2DTransposeBias require static weights."""
    import numpy as np

    op = producers.get(i)
    if op is None or _op_name(model, op) != "DEQUANTIZE":
        return None
    src = sg.tensors[op.inputs[0]]
    if not _has_data(model, src) or src.type != schema().TensorType.FLOAT16:
        return None
    data = np.asarray(model.buffers[src.buffer].data, dtype=np.uint8).tobytes()
    return np.frombuffer(data, dtype=np.float16).astype(np.float32).tobytes()


def _constant_derived(model: Any, sg: Any, op: Any, producers: dict[int, Any]) -> bool:
    """Every input is a constant, or the output of a run-once op on constants (DEQUANTIZE(DENSIFY(w)))."""
    for i in (i for i in op.inputs if i >= 0):
        if _has_data(model, sg.tensors[i]):
            continue
        src = producers.get(i)
        if src is None or _op_name(model, src) not in _RUN_ONCE or not _constant_derived(model, sg, src, producers):
            return False
    return any(i >= 0 for i in op.inputs)


def _skip_reason(model: Any, sg: Any, op: Any, name: str, producers: dict[int, Any]) -> str | None:
    if name in _STATEFUL:
        return "stateful op (its resource or variable lives outside the op)"
    if name in _RUN_ONCE and _constant_derived(model, sg, op, producers):
        return f"{name} of constant weights: TFLite computes it once, not per run"
    used = [i for i in [*op.inputs, *op.outputs] if i >= 0]
    if any(sg.tensors[i].isVariable for i in used):
        return "reads or writes a variable tensor"
    for i in used:
        t = sg.tensors[i]
        if t.shape is not None and any(d < 0 for d in t.shape):
            return "dynamic tensor shape (no static shape to feed it alone)"
    if not [i for i in op.outputs if i >= 0]:
        return "no outputs"
    return None


def _slice(model: Any, sg: Any, op: Any, keep_subgraphs: bool, constants: dict[int, bytes]) -> bytes:
    """``op`` of subgraph ``sg`` as a one-op model; ``constants`` gives inputs without data of their own the
    bytes they hold at run time (folded weights, a loop counter's start)."""
    import flatbuffers
    import numpy as np

    s = schema()
    buffers = [s.BufferT()]
    local: dict[int, int] = {}
    sub = s.SubGraphT()
    sub.name, sub.tensors, sub.inputs, sub.outputs = "slice", [], [], []

    def tensor(i: int) -> int:
        if i < 0:
            return i
        if i not in local:
            t = copy.copy(sg.tensors[i])
            t.shapeSignature = None  # the shapes the whole model ran with (a -1 batch is 1 there too)
            folded = None if _has_data(model, t) or i in op.outputs else constants.get(i)
            if _has_data(model, t):
                buffers.append(model.buffers[t.buffer])
                t.buffer = len(buffers) - 1
            elif folded is not None:
                buf = s.BufferT()
                buf.data = np.frombuffer(folded, dtype=np.uint8)
                buffers.append(buf)
                t.buffer = len(buffers) - 1
            else:
                t.buffer = 0
                if not t.isVariable and i not in op.outputs:
                    sub.inputs.append(len(sub.tensors))
            local[i] = len(sub.tensors)
            sub.tensors.append(t)
        return local[i]

    new_op = copy.copy(op)
    new_op.inputs = [tensor(i) for i in op.inputs]
    new_op.outputs = [tensor(i) for i in op.outputs]
    new_op.intermediates = [tensor(i) for i in op.intermediates] if op.intermediates is not None else None
    sub.outputs = list(new_op.outputs)
    sub.operators = [new_op]
    m = s.ModelT()
    m.version, m.description = 3, f"edgetk slice: op {_op_name(model, op)}"
    m.operatorCodes = model.operatorCodes
    subgraphs = [sub]
    if keep_subgraphs:  # the bodies: every other subgraph with its own constant buffers (indices unchanged)
        for other in model.subgraphs[1:]:
            other = copy.copy(other)
            other.tensors = [copy.copy(t) for t in other.tensors]
            for t in other.tensors:
                if _has_data(model, t):
                    buffers.append(model.buffers[t.buffer])
                    t.buffer = len(buffers) - 1
                else:
                    t.buffer = 0
            subgraphs.append(other)
    m.subgraphs, m.buffers = subgraphs, buffers
    fb = flatbuffers.Builder(1024 + sum(len(b.data) for b in buffers if b.data is not None))
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    return bytes(fb.Output())


def _sliced(model: Any, sg: Any, index: int, op: Any, producers: dict[int, Any], subgraph: int,
            constants: dict[int, bytes]) -> OpSlice:
    name = _op_name(model, op)
    reason = _skip_reason(model, sg, op, name, producers)
    if reason:
        return OpSlice(index, name, None, skipped=reason, subgraph=subgraph)
    keep = _calls_subgraphs(op) and len(model.subgraphs) > 1
    return OpSlice(index, name, _slice(model, sg, op, keep, constants), with_subgraphs=keep, subgraph=subgraph)


def _load(path: Path | str) -> Any:
    return schema().ModelT.InitFromPackedBuf(Path(path).read_bytes(), 0)


def slice_ops(path: Path | str) -> Iterator[OpSlice]:
    """Every operator of the main subgraph, in execution order, as an ``OpSlice`` (sliced or skipped)."""
    model = _load(path)
    sg = model.subgraphs[0]
    producers = {o: op for op in sg.operators or [] for o in op.outputs if o >= 0}
    for index, op in enumerate(sg.operators or []):
        constants = {i: w for i in op.inputs if i >= 0
                     for w in [_folded_weights(model, sg, producers, i)] if w is not None}
        yield _sliced(model, sg, index, op, producers, 0, constants)


@dataclass(frozen=True)
class BodySlices:
    """The ops of one subgraph a control-flow op of the main subgraph runs (a WHILE's cond and body, an IF's
    branches), each sliced as a model of its own. ``runs_per_invoke``: how often the subgraph runs per
    invoke of the whole model when that is static (body: the trip count, cond: trips + 1), else None."""

    parent_index: int
    parent_op: str
    role: str  # "cond" | "body" | "then" | "else"
    subgraph: int
    name: str
    runs_per_invoke: int | None
    how: str  # how the count was found, or why it is not static
    slices: tuple[OpSlice, ...]

    @property
    def label(self) -> str:
        return f"{self.parent_op}#{self.parent_index} {self.role}"


def _roles(model: Any, outer: Any, op: Any, name: str) -> list[tuple[str, int, int | None, str, list[int]]]:
    """(role, subgraph, runs per invoke, how, the parent's input tensors feeding the subgraph's inputs)."""
    from toolkit.model.trip_count import static_trip_count

    opts = op.builtinOptions
    if name == "WHILE":
        trips, how = static_trip_count(model, outer, op)
        return [("cond", opts.condSubgraphIndex, None if trips is None else trips + 1, how, list(op.inputs)),
                ("body", opts.bodySubgraphIndex, trips, how, list(op.inputs))]
    if name == "IF":
        why = "runs when the condition is " + "{}"
        return [("then", opts.thenSubgraphIndex, None, why.format("true"), list(op.inputs[1:])),
                ("else", opts.elseSubgraphIndex, None, why.format("false"), list(op.inputs[1:]))]
    return []


def _frozen_counters(model: Any, outer: Any, sub: Any, feeds: list[int], op: Any) -> dict[int, bytes]:
    """Loop-carried one-element int inputs of ``op`` (an index, a counter) as the constant they start at, when
    the op has other runtime inputs: a GATHER at time step 0, not at a random index out of range."""
    from toolkit.model.trip_count import scalar_int

    inputs = [i for i in op.inputs if i >= 0 and not _has_data(model, sub.tensors[i])]
    frozen = {}
    for i in inputs:
        if i in sub.inputs and len(inputs) > 1:
            outer_tensor = outer.tensors[feeds[list(sub.inputs).index(i)]]
            if scalar_int(model, outer_tensor) is not None:
                frozen[i] = bytes(model.buffers[outer_tensor.buffer].data)
    return frozen if len(frozen) < len(inputs) else {}


def slice_bodies(path: Path | str) -> Iterator[BodySlices]:
    """The subgraphs each WHILE / IF of the main subgraph runs, op by op (ops of a nested control-flow op
    inside them are timed with their own bodies, ``with_subgraphs``)."""
    model = _load(path)
    outer = model.subgraphs[0]
    for parent_index, op in enumerate(outer.operators or []):
        name = _op_name(model, op)
        for role, index, runs, how, feeds in _roles(model, outer, op, name):
            if not 0 < index < len(model.subgraphs):
                continue
            sub = model.subgraphs[index]
            producers = {o: p for p in sub.operators or [] for o in p.outputs if o >= 0}
            slices = tuple(_sliced(model, sub, i, body_op, producers, index,
                                   _frozen_counters(model, outer, sub, feeds, body_op))
                           for i, body_op in enumerate(sub.operators or []))
            label = sub.name.decode() if isinstance(sub.name, bytes) else str(sub.name or "")
            yield BodySlices(parent_index, name, role, index, label, runs, how, slices)
