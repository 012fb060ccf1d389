"""The static trip count of a WHILE loop, read from its cond and body subgraphs (the TFLite schema's object
API, no TensorFlow): how many times ``bench --per-op`` multiplies a body op's time.

A loop is counted when its cond is a LESS (or GREATER with the operands swapped), or a LOGICAL_AND of such,
of a loop counter against a constant, the counter's start is a constant input of the WHILE, and the body
adds a positive constant to it (``i = i + 1``): what the converter makes of a Keras LSTM/GRU in loop form
(``LESS(iter, 6) AND LESS(time, 6)``). Anything else is "not static", with the reason.
"""

from __future__ import annotations

import math
from typing import Any

from toolkit.model.builder import builtin_names


def op_name(model: Any, op: Any) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    return builtin_names().get(max(code.builtinCode, code.deprecatedBuiltinCode), "?")


def scalar_int(model: Any, tensor: Any) -> int | None:
    """The value of a constant one-element int32/int64 tensor, else None."""
    import numpy as np

    buf = model.buffers[tensor.buffer] if 0 < tensor.buffer < len(model.buffers) else None
    dtype = {2: np.int32, 4: np.int64}.get(tensor.type)  # TensorType INT32, INT64
    if buf is None or buf.data is None or dtype is None:
        return None
    values = np.frombuffer(np.asarray(buf.data, dtype=np.uint8).tobytes(), dtype=dtype)
    return int(values[0]) if values.size == 1 else None


def static_trip_count(model: Any, outer: Any, while_op: Any) -> tuple[int | None, str]:
    """(trip count, how it was found) of ``while_op`` in subgraph ``outer``; (None, why not) when not static."""
    opts = while_op.builtinOptions
    cond, body = model.subgraphs[opts.condSubgraphIndex], model.subgraphs[opts.bodySubgraphIndex]
    if opts.condSubgraphIndex == opts.bodySubgraphIndex:
        return None, "cond and body are one subgraph"
    producers = {o: op for op in cond.operators or [] for o in op.outputs}
    body_producers = {o: op for op in body.operators or [] for o in op.outputs}
    cond_inputs, body_inputs = list(cond.inputs), list(body.inputs)

    def start(position: int) -> int | None:
        return scalar_int(model, outer.tensors[while_op.inputs[position]])

    def step(position: int) -> int | None:
        op = body_producers.get(body.outputs[position])
        if op is None or op_name(model, op) != "ADD" or body_inputs[position] not in op.inputs:
            return None
        other = [i for i in op.inputs if i != body_inputs[position]]
        return scalar_int(model, body.tensors[other[0]]) if len(other) == 1 else None

    def limit(t: int) -> int | None:  # a constant in cond, or a WHILE input the body passes through unchanged
        value = scalar_int(model, cond.tensors[t])
        if value is None and t in cond_inputs:
            p = cond_inputs.index(t)
            value = start(p) if body.outputs[p] == body_inputs[p] else None
        return value

    def trips(t: int) -> tuple[int | None, str]:
        op = producers.get(t)
        name = op_name(model, op) if op is not None else None
        if name == "LOGICAL_AND":
            found = [trips(i) for i in op.inputs]
            if all(n is not None for n, _ in found):
                return min(n for n, _ in found), " and ".join(why for _, why in found)
            return None, next(why for n, why in found if n is None)
        if name in ("LESS", "GREATER"):
            counter, bound = op.inputs if name == "LESS" else op.inputs[::-1]
            if counter not in cond_inputs:
                return None, f"the {name} does not compare a loop variable"
            p = cond_inputs.index(counter)
            first, inc, end = start(p), step(p), limit(bound)
            if first is None:
                return None, f"loop variable {p} does not start at a constant"
            if inc is None or inc <= 0:
                return None, f"the body does not add a positive constant to loop variable {p}"
            if end is None:
                return None, "the bound is not a constant"
            return max(0, math.ceil((end - first) / inc)), f"var{p} from {first} while < {end} step {inc}"
        return None, f"the cond computes its flag with {name or 'no op'}"

    return trips(cond.outputs[0]) if len(cond.outputs) == 1 else (None, "the cond has no single output")
