"""Tensor arena estimates: the peak of simultaneously live activations, and TFLM's whole arena bound.

Greedy liveness per subgraph: a non-constant tensor lives from the op that writes it (or the subgraph
start, for inputs and variables) to the last op that reads it (or the end, for outputs). The peak over op
steps is the estimate; subgraphs called by control flow add their own peak. Runtimes plan memory better
or worse than this, so the result is always labelled an estimate.

TFLM's arena also holds persistent data (its "tail": per-tensor and per-node structs, per-channel
quantization arrays, variable tensors and resource variables). ``estimate_tflm_arena_bytes`` adds a bound
for it; on the corpus of docs/PERFORMANCE.md (P9) it is >= TFLM's measured arena for every model (1.0-1.8x).
`check --verify` replaces it with TFLM's own measurement.
"""

from __future__ import annotations

import math
from functools import lru_cache

from toolkit.model import Subgraph, TfliteModel
from toolkit.model.schema_names import DTYPE_BITS


def tensor_bytes(dtype: str, shape: tuple[int, ...]) -> int:
    """Whole bytes per element (sub-byte types are unpacked in the arena); an unknown dtype counts as 4."""
    per_element = -(-DTYPE_BITS[dtype] // 8) if dtype in DTYPE_BITS else 4
    return per_element * math.prod(max(d, 1) for d in shape)


def subgraph_peak_bytes(sg: Subgraph) -> int:
    n_ops = len(sg.operators)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in sg.inputs:
        first[i] = -1
    for step, op in enumerate(sg.operators):
        for t in op.outputs:
            first.setdefault(t, step)
            last[t] = max(last.get(t, step), step)
        for t in op.inputs:
            if t >= 0:
                first.setdefault(t, -1)
                last[t] = max(last.get(t, step), step)
    for t in sg.outputs:
        last[t] = n_ops
    peak = 0
    for step in range(-1, n_ops + 1):
        live = 0
        for t, start in first.items():
            tensor = sg.tensors[t]
            if tensor.is_constant:
                continue
            if tensor.is_variable or start <= step <= last.get(t, start):
                live += tensor_bytes(tensor.dtype, tensor.shape)
        peak = max(peak, live)
    return peak


@lru_cache(maxsize=8)  # one model is checked against many targets
def estimate_arena_bytes(model: TfliteModel) -> int:
    """Peak live activation bytes of the main subgraph plus the largest called subgraph."""
    if not model.subgraphs:
        return 0
    main = subgraph_peak_bytes(model.subgraphs[0])
    called = {s for op in model.subgraphs[0].operators for s in op.called_subgraphs}
    extra = max((subgraph_peak_bytes(model.subgraphs[s]) for s in called), default=0)
    return main + extra


#: TFLM persistent costs per item, bounded from TFLM's RecordingMicroAllocator on the corpus (docs: P9)
_PER_TENSOR, _PER_OP, _PER_QUANT_CHANNEL, _BASE = 32, 128, 16, 1536
_WEIGHTED_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"})


def estimate_persistent_bytes(model: TfliteModel) -> int:
    """A bound on TFLM's persistent arena data: structs per tensor and op, per-output-channel arrays of
    quantized weighted ops, variable tensors and the resource variables ASSIGN_VARIABLE fills."""
    tensors = sum(len(sg.tensors) for sg in model.subgraphs)
    ops = list(model.operators())
    channels = variables = 0
    for op in ops:
        tensors_of = model.subgraphs[op.subgraph].tensors
        if op.name in _WEIGHTED_OPS and op.outputs and op.outputs[0] >= 0:
            out = tensors_of[op.outputs[0]]
            if out.dtype in ("int8", "int16", "uint8") and out.shape:
                channels += out.shape[-1]
        if op.name == "ASSIGN_VARIABLE" and len(op.inputs) > 1 and op.inputs[1] >= 0:
            value = tensors_of[op.inputs[1]]
            variables += tensor_bytes(value.dtype, value.shape)
    variables += sum(tensor_bytes(t.dtype, t.shape) for sg in model.subgraphs for t in sg.tensors if t.is_variable)
    return _PER_TENSOR * tensors + _PER_OP * len(ops) + _PER_QUANT_CHANNEL * channels + variables + _BASE


def estimate_tflm_arena_bytes(model: TfliteModel) -> int:
    """Activations plus TFLM's persistent data: an upper bound of TFLM's measured arena (on the corpus)."""
    return estimate_arena_bytes(model) + estimate_persistent_bytes(model)
