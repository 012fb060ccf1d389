"""A quick upper-bound-ish estimate of the tensor arena: the peak of simultaneously live activations.

Greedy liveness per subgraph: a non-constant tensor lives from the op that writes it (or the subgraph
start, for inputs and variables) to the last op that reads it (or the end, for outputs). The peak over op
steps is the estimate; subgraphs called by control flow add their own peak. Runtimes plan memory better
or worse than this, so the result is always labelled an estimate.
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
