"""A static cost model: MACs, FLOPs and bytes moved per operator, from shapes alone.

What it is for: ranking ops in `inspect`, and feeding the MCU latency estimate in `bench` (which needs
MACs and the op's compute dtype to tell int8 from float kernels). It is an estimate, not a profile:
- MACs are counted for the matrix ops (convolutions, fully connected, batch matmul, LSTM/RNN); FLOPs are
  2 x MACs for those, one per output element for elementwise ops and activations, kernel-area per output
  for pooling, a few per element for softmax, one per input element for reductions; layout ops cost 0.
- Dynamic dimensions use the tensor's `shape` (the converter's placeholder, usually 1), not the -1 of
  `shape_signature`.
- Control flow: ops in a subgraph run by a WHILE (cond and body) are marked `loop_body=True` and their
  MACs/FLOPs/bytes moved are multiplied by `trip_count`, the times they run per inference, inferred from
  TensorFlow's counter-vs-constant loop shape (toolkit.model.loops; nested loops multiply, the cond runs
  once more than the body). When a loop's trip count is not static, `trip_count` is None and that loop's
  body is counted once per entry (`ModelCost.unknown_trip_counts`). IF branches are both counted.
- bytes_moved is every distinct input (weights included) plus every output, at the tensor's dtype size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from toolkit.model import schema_names
from toolkit.model.loops import WHILE_OPS, subgraph_runs
from toolkit.model.views import Operator, Subgraph, Tensor, TfliteModel


@dataclass(frozen=True, slots=True)
class OpCost:
    """One op's cost. Built for every op on every `inspect` and `check`, so a slotted dataclass (no validation
    on construction); its `inspect --json` part (toolkit.model.documents.OpCost) is generated from it."""

    subgraph: int
    index: int
    name: str
    macs: int
    flops: int
    bytes_moved: int
    weight_bytes: int  # bytes of constant inputs (buffers) this op reads
    #: compute dtype: the first input's ("int8", "float32", ...)
    dtype: str = field(metadata={"description": "the op's first input's dtype"})
    loop_body: bool = False  # inside a WHILE (cond or body)
    # Runs per inference, already applied to macs/flops/bytes_moved: 1 outside loops, the (nested) trip
    # count inside a WHILE; None when some enclosing loop's count is unknown (that loop counted once).
    trip_count: int | None = field(default=1, metadata={
        "description": "runs per inference, already applied; null = unknown"})

    def to_dict(self) -> dict[str, Any]:
        # written out (1.7x faster than a loop over the fields, per op); a test pins it to the fields
        return {
            "subgraph": self.subgraph, "index": self.index, "name": self.name, "macs": self.macs,
            "flops": self.flops, "bytes_moved": self.bytes_moved, "weight_bytes": self.weight_bytes,
            "dtype": self.dtype, "loop_body": self.loop_body, "trip_count": self.trip_count,
        }  # fmt: skip



@dataclass(frozen=True, slots=True)
class ModelCost:
    """The whole model's cost (same reasons as ``OpCost``; its document part is generated from it too). The
    fields are in the order the document has them."""

    total_macs: int
    total_flops: int
    total_bytes: int
    has_loops: bool  # some ops sit in a WHILE (cond or body)
    #: some WHILE's trip count is not static: its body counted once
    unknown_trip_counts: bool = field(default=False, kw_only=True)
    #: said in every output: these figures come from this model, never from a run
    provenance: str = field(default="estimated", kw_only=True, metadata={
        "description": "every figure here is the static cost model's, never a measurement"})
    ops: list[OpCost]

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in MODEL_COST_FIELDS}
        out["ops"] = [op.to_dict() for op in self.ops]
        return out


MODEL_COST_FIELDS = tuple(f.name for f in fields(ModelCost))


def _elements(shape: tuple[int, ...]) -> int:
    return math.prod(max(d, 1) for d in shape)


def tensor_bytes(t: Tensor) -> int:
    bits = schema_names.dtype_bits(t.dtype)
    return (_elements(t.shape) * bits + 7) // 8 if bits else t.buffer_bytes


_ELEMENTWISE = frozenset(
    "ADD SUB MUL DIV SQUARED_DIFFERENCE MAXIMUM MINIMUM POW FLOOR_DIV FLOOR_MOD ABS NEG SQRT RSQRT EXP LOG SIN COS "
    "SQUARE RELU RELU6 RELU_N1_TO_1 RELU_0_TO_1 LEAKY_RELU PRELU LOGISTIC TANH HARD_SWISH GELU ELU QUANTIZE "
    "DEQUANTIZE SELECT SELECT_V2 LESS LESS_EQUAL GREATER GREATER_EQUAL EQUAL NOT_EQUAL LOGICAL_AND LOGICAL_OR "
    "LOGICAL_NOT FLOOR CEIL ROUND SIGN ATAN2 ADD_N".split()
)
_REDUCTIONS = frozenset(
    "SUM MEAN REDUCE_MAX REDUCE_MIN REDUCE_PROD REDUCE_ANY REDUCE_ALL ARG_MAX ARG_MIN".split()
)
_POOLS = frozenset({"AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"})
_SOFTMAX_FLOPS_PER_ELEMENT = 3  # exp, running sum, divide
# Weight-matrix input slots of the recurrent ops (TFLite kernel input order).
_LSTM_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 16)
_BILSTM_WEIGHTS = (*_LSTM_WEIGHTS, 18, 19, 20, 21, 22, 23, 24, 25, 33)
_RNN_WEIGHTS = (1, 2)


def _shape(sg: Subgraph, op: Operator, slot: int, outputs: bool = False) -> tuple[int, ...] | None:
    ids = op.outputs if outputs else op.inputs
    if slot >= len(ids) or ids[slot] < 0:
        return None
    return tuple(max(d, 1) for d in sg.tensors[ids[slot]].shape)


def _recurrent_macs(sg: Subgraph, op: Operator, slots: tuple[int, ...]) -> int:
    """Steps (batch x time) times the size of every weight matrix present (CIFG/projection optional)."""
    x = _shape(sg, op, 0)
    if not x:
        return 0
    steps = _elements(x[:-1])
    per_step = sum(_elements(s) for i in slots if (s := _shape(sg, op, i)) is not None and len(s) == 2)
    return steps * per_step


def _macs(sg: Subgraph, op: Operator) -> int:
    name, out = op.name, _shape(sg, op, 0, outputs=True)
    if name in ("CONV_2D", "CONV_3D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "BATCH_MATMUL") and out is None:
        return 0
    if name == "CONV_2D":  # filter [OC, KH, KW, IC/groups]
        f = _shape(sg, op, 1)
        return _elements(out) * _elements(f[1:]) if f else 0
    if name == "DEPTHWISE_CONV_2D":  # filter [1, KH, KW, OC]
        f = _shape(sg, op, 1)
        return _elements(out) * _elements(f[1:3]) if f and len(f) == 4 else 0
    if name == "CONV_3D":  # filter [KD, KH, KW, IC, OC]
        f = _shape(sg, op, 1)
        return _elements(out) * _elements(f[:-1]) if f else 0
    if name in ("TRANSPOSE_CONV", "CONV_3D_TRANSPOSE"):  # (output_shape, filter, input): every input pixel
        f, x = _shape(sg, op, 1), _shape(sg, op, 2)
        return _elements(x) * _elements(f[:-1]) if f and x else 0
    if name == "FULLY_CONNECTED":  # weights [units, in]
        w = _shape(sg, op, 1)
        return _elements(out) * w[-1] if w else 0
    if name == "BATCH_MATMUL":
        lhs = _shape(sg, op, 0)
        if not lhs or len(lhs) < 2:
            return 0
        return _elements(out) * (lhs[-2] if op.options.get("adj_x") else lhs[-1])
    if name in ("LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM"):
        return _recurrent_macs(sg, op, _LSTM_WEIGHTS)
    if name == "BIDIRECTIONAL_SEQUENCE_LSTM":
        return _recurrent_macs(sg, op, _BILSTM_WEIGHTS)
    if name in ("RNN", "UNIDIRECTIONAL_SEQUENCE_RNN"):
        return _recurrent_macs(sg, op, _RNN_WEIGHTS)
    return 0


def _flops(sg: Subgraph, op: Operator, macs: int) -> int:
    if macs:
        return 2 * macs
    out, x = _shape(sg, op, 0, outputs=True), _shape(sg, op, 0)
    name = op.name
    if name in _ELEMENTWISE and out is not None:
        extra_inputs = max(len([i for i in op.inputs if i >= 0]) - 1, 1) if name == "ADD_N" else 1
        return _elements(out) * extra_inputs
    if name in _POOLS and out is not None:
        return (
            _elements(out) * int(op.options.get("filter_width", 1)) * int(op.options.get("filter_height", 1))
        )
    if name in ("SOFTMAX", "LOG_SOFTMAX") and out is not None:
        return _elements(out) * _SOFTMAX_FLOPS_PER_ELEMENT
    if name in _REDUCTIONS and x is not None:
        return _elements(x)
    return 0


def _loop_subgraphs(model: TfliteModel) -> set[int]:
    """Subgraphs a WHILE runs (cond and body), and everything those call in turn."""
    calls = {sg.index: [c for op in sg.operators for c in op.called_subgraphs] for sg in model.subgraphs}
    todo = [c for op in model.operators() if op.name in WHILE_OPS for c in op.called_subgraphs]
    seen: set[int] = set()
    while todo:
        si = todo.pop()
        if si not in seen:
            seen.add(si)
            todo.extend(calls.get(si, ()))
    return seen


def op_cost(sg: Subgraph, op: Operator, *, loop_body: bool = False, runs: int = 1, known: bool = True) -> OpCost:
    """The cost of one operator run ``runs`` times per inference (see the module docstring)."""
    macs = _macs(sg, op)
    ins = [sg.tensors[i] for i in dict.fromkeys(op.inputs) if i >= 0]
    outs = [sg.tensors[i] for i in dict.fromkeys(op.outputs)]
    moved = sum(tensor_bytes(t) for t in ins) + sum(tensor_bytes(t) for t in outs)
    weights = sum(t.buffer_bytes for t in ins)
    dtype = ins[0].dtype if ins else (outs[0].dtype if outs else "unknown")
    flops = _flops(sg, op, macs)
    return OpCost(sg.index, op.index, op.name, macs * runs, flops * runs, moved * runs, weights, dtype, loop_body,
                  runs if known else None)  # fmt: skip


def estimate_cost(model: TfliteModel) -> ModelCost:
    """Per-op and total cost of every subgraph, WHILE bodies multiplied by their static trip counts."""
    loops = _loop_subgraphs(model)
    runs = subgraph_runs(model)
    ops = [
        op_cost(sg, op, loop_body=sg.index in loops, runs=runs[sg.index].runs, known=runs[sg.index].known)
        for sg in model.subgraphs
        for op in sg.operators
    ]
    return ModelCost(
        ops=ops,
        total_macs=sum(o.macs for o in ops),
        total_flops=sum(o.flops for o in ops),
        total_bytes=sum(o.bytes_moved for o in ops),
        has_loops=any(o.loop_body for o in ops),
        unknown_trip_counts=any(o.trip_count is None for o in ops),
    )
