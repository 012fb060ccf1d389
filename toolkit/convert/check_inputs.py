"""Inputs for the numerical check that fit the model. Runs inside the worker (imports TensorFlow).

Why: integer inputs index tables. Token ids must stay below the vocabulary, token-type / segment ids below
the number of types (2 in BERT), one-hot inputs below the depth; an index out of range makes TF's own
reference run fail ("indices[0,3] = 5 is not in [0, 2)") and the check says nothing. The ranges are read
from the frozen graph: every path from an integer input through shape-keeping ops (Cast, Reshape, Select,
Add of a constant, function calls ...) to the indices of a GatherV2 (the first dim of its params, or the
``axis`` dim) or a OneHot (its depth) bounds that input; the smallest bound wins. Inputs named like an
attention mask get 0/1 masks (a prefix of ones, as a tokenizer pads). The user's own samples
(``--inputs FILE.npz``) or the calibration samples come before any of this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.convert.frontends import InputSpec

# Ops whose output carries the same index values (or a subset / broadcast of them).
PASS_THROUGH = frozenset({
    "Identity", "IdentityN", "Cast", "Reshape", "ExpandDims", "Squeeze", "StridedSlice", "Slice", "Tile",
    "Transpose", "ConcatV2", "Pack", "Unpack", "SelectV2", "Select", "AddV2", "Add", "BroadcastTo", "GatherV2",
    "GatherNd", "Where", "Maximum", "Minimum", "ClipByValue", "Split", "SplitV", "Fill", "ZerosLike",
    "StopGradient", "EnsureShape", "PlaceholderWithDefault"})
CALLS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
MASK_NAME = re.compile(r"mask", re.IGNORECASE)
DEFAULT_INT_HIGH = 10


@dataclass(frozen=True)
class IntRange:
    """Valid values [low, high) of one integer input and where the bound comes from."""

    low: int
    high: int
    why: str


def _const_value(node: Any) -> np.ndarray | None:
    from tensorflow.python.framework import tensor_util

    if node is None or node.op != "Const":
        return None
    return tensor_util.MakeNdarray(node.attr["value"].tensor)


def _const_shape(node: Any) -> list[int] | None:
    if node is None or node.op != "Const":
        return None
    return [int(d.size) for d in node.attr["value"].tensor.tensor_shape.dim]


class _Scope:
    """One graph or function body: nodes by name and the consumers of every node's outputs."""

    def __init__(self, nodes: list[Any], args: list[str] | None = None) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.args = args or []
        self.consumers: dict[str, list[tuple[Any, int]]] = {}
        for node in nodes:
            for pos, ref in enumerate(i for i in node.input if not i.startswith("^")):
                self.consumers.setdefault(ref.split(":")[0], []).append((node, pos))

    def producer(self, ref: str) -> Any:
        """The node behind an input reference, through Identity chains (frozen variables are Identity(Const))."""
        node = self.nodes.get(ref.split(":")[0])
        while node is not None and node.op == "Identity" and node.input:
            node = self.nodes.get(node.input[0].split(":")[0])
        return node


def _short(node: str) -> str:
    """'StatefulPartitionedCall/bert/token_type_embeddings/GatherV2' -> 'token_type_embeddings/GatherV2'."""
    return "/".join(node.split("/")[-2:])


def _bound(scope: _Scope, node: Any, pos: int) -> tuple[int, str] | None:
    """The exclusive upper bound a GatherV2 (indices = input 1) or OneHot (indices = input 0) puts on its input."""
    data = [i for i in node.input if not i.startswith("^")]
    if node.op in ("GatherV2", "ResourceGather") and pos == 1:
        shape = _const_shape(scope.producer(data[0]))
        axis = _const_value(scope.producer(data[2])) if len(data) > 2 else np.array(0)
        if shape and axis is not None and axis.size == 1:
            dim = shape[int(axis) % len(shape)]
            return dim, f"indexes a table of {dim} rows ({_short(node.name)})"
    if node.op == "OneHot" and pos == 0:
        depth = _const_value(scope.producer(data[1]))
        if depth is not None and depth.size == 1:
            return int(depth), f"one-hot depth {int(depth)} ({_short(node.name)})"
    return None


def _walk(scope: _Scope, start: str, library: dict[str, Any], seen: set[tuple[int, str]]) -> list[tuple[int, str]]:
    bounds: list[tuple[int, str]] = []
    pending = [start]
    while pending:
        name = pending.pop()
        if (id(scope), name) in seen:
            continue
        seen.add((id(scope), name))
        for node, pos in scope.consumers.get(name, []):
            found = _bound(scope, node, pos)
            if found:
                bounds.append(found)
            elif node.op in CALLS and node.attr["f"].func.name in library:
                fdef = library[node.attr["f"].func.name]
                args = [a.name for a in fdef.signature.input_arg]
                if pos < len(args):
                    inner = _Scope(list(fdef.node_def), args)
                    bounds += _walk(inner, args[pos], library, seen)
            elif node.op in PASS_THROUGH and not (node.op in ("GatherV2", "GatherNd") and pos != 0):
                pending.append(node.name)
    return bounds


def integer_ranges(concrete_function: Any, inputs: list[InputSpec]) -> dict[str, IntRange]:
    """Input name -> valid integer range, for each integer input whose bound the graph shows (or a mask)."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    ints = [s for s in inputs if np.issubdtype(np.dtype(s.dtype), np.integer)]
    if not ints:
        return {}
    frozen = convert_variables_to_constants_v2(concrete_function)
    graph_def = frozen.graph.as_graph_def()
    library = {f.signature.name: f for f in graph_def.library.function}
    scope = _Scope(list(graph_def.node))
    placeholders = [t.name.split(":")[0] for t in frozen.inputs]
    ranges: dict[str, IntRange] = {}
    for spec, placeholder in zip(inputs, placeholders, strict=False):
        if spec not in ints:
            continue
        bounds = _walk(scope, placeholder, library, set())
        if bounds:
            high, why = min(bounds)
            ranges[spec.name] = IntRange(0, high, why)
        elif MASK_NAME.search(spec.name):
            ranges[spec.name] = IntRange(0, 2, "named like a mask: 0/1, a prefix of ones")
    return ranges


def random_check_inputs(inputs: list[InputSpec], count: int, seed: int,
                        ranges: dict[str, IntRange]) -> list[np.ndarray]:
    """Seeded inputs with a leading sample axis: uniform [-1, 1) floats; integers within their range
    (else [0, 10)); 0/1 masks as a prefix of ones (at least one token) along the last axis."""
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in inputs:
        shape = (count, *[d or 1 for d in spec.shape])
        dtype = np.dtype(spec.dtype)
        bound = ranges.get(spec.name)
        if np.issubdtype(dtype, np.integer):
            if bound and bound.high == 2 and MASK_NAME.search(spec.name):
                length = shape[-1]
                keep = rng.integers(1, length + 1, size=shape[:-1])[..., None]
                arrays.append((np.arange(length) < keep).astype(dtype))
            else:
                high = bound.high if bound else DEFAULT_INT_HIGH
                arrays.append(rng.integers(bound.low if bound else 0, max(high, 1), size=shape).astype(dtype))
        elif spec.dtype == "bool":
            arrays.append(rng.integers(0, 2, size=shape).astype(bool))
        else:
            arrays.append(rng.uniform(-1.0, 1.0, size=shape).astype(dtype))
    return arrays


def root_cause(exc: BaseException) -> str:
    """The line of a TF error that says what went wrong, not "Graph execution error:" or a stack frame."""
    text = getattr(exc, "message", None) or str(exc)
    lines = [re.sub(r"\{\{function_node [^}]*\}\}\s*", "", line).strip() for line in text.splitlines()]
    skip = ("Graph execution error", "Detected at node", "File ", "[[{{node", "Stack trace", "Traceback")
    useful = [line for line in lines if line and not line.startswith(skip) and not line.endswith(":")
              or re.search(r"is not in \[|must be|Incompatible|out of range", line or "")]
    cause = next((line for line in useful if re.search(r"is not in \[|out of range|must be|Incompatible", line)),
                 useful[-1] if useful else text.strip().splitlines()[0] if text.strip() else type(exc).__name__)
    cause = re.sub(r"\s*\[\[\{\{node .*", "", cause).strip()
    node = re.search(r"\[\[\{\{node ([^}]+)\}\}\]\]", text)
    return f"{type(exc).__name__}: {cause}" + (f" (node {node[1]})" if node and node[1] not in cause else "")
