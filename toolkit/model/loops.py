"""How many times each subgraph runs per inference: static trip counts of WHILE loops.

Why: a converted Keras LSTM (loop form) or ``tf.while_loop`` puts its work in a WHILE body that runs once
per step; counting the body once undercounts a 100-step LSTM ~100x, and with it the MCU latency estimate and
the roofline. TensorFlow's while loops have a recognisable shape that makes the count static:

- the cond subgraph returns ``LESS(counter, bound)`` / ``LESS_EQUAL`` (or the mirrored ``GREATER``), often two
  of them joined by ``LOGICAL_AND`` (the user's bound and ``maximum_iterations``): the loop runs the *min*;
- the counter is a loop variable that starts at a constant the WHILE op receives and that the body advances
  with ``ADD(counter, constant step > 0)``;
- the bound is a constant in the cond subgraph, or a loop variable that enters as a constant and that the
  body passes through unchanged.

Anything else (a data-dependent bound, a LOGICAL_OR, a StableHLO loop) has an unknown trip count: the body
is then counted once per entry and flagged unknown. With LOGICAL_AND, one static side is enough: the loop
cannot run longer, so the count is an upper bound if the other side may stop it early. The call graph may be
cyclic in hostile files (the fuzz corpus has such graphs): back edges are ignored, never followed.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.model.schema_names import DTYPE_BITS
from toolkit.model.views import Operator, Subgraph, TfliteModel

WHILE_OPS = frozenset({"WHILE", "STABLEHLO_WHILE"})
_INT_BYTES = {d: bits // 8 for d, bits in DTYPE_BITS.items() if d.startswith(("int", "uint")) and bits >= 8}
_LESS = {"LESS": False, "LESS_EQUAL": True}  # op -> inclusive bound
_GREATER = {"GREATER": False, "GREATER_EQUAL": True}  # bound > counter: the same test, operands mirrored
_MAX_CONDITION_DEPTH = 8  # LOGICAL_AND nesting followed in a cond subgraph
MAX_RUNS = 1 << 40  # more runs than this per inference is not a real model: treated as unknown


@dataclass(frozen=True, slots=True)
class SubgraphRuns:
    """``runs``: executions per inference (known loops multiplied, unknown ones counted once);
    ``known``: every WHILE on the way from the entry subgraph has a static trip count."""

    runs: int
    known: bool


def _const_int(model: TfliteModel, sg: Subgraph, index: int) -> int | None:
    """The value of a constant integer scalar (or one-element) tensor, else None."""
    if not 0 <= index < len(sg.tensors):
        return None
    t = sg.tensors[index]
    size = _INT_BYTES.get(t.dtype)
    if size is None or not t.buffer_bytes or any(d != 1 for d in t.shape):
        return None
    data = model.buffer_data(t.buffer_index)
    if len(data) < size:
        return None
    return int.from_bytes(data[:size], "little", signed=not t.dtype.startswith("u"))


def _producer(sg: Subgraph, tensor: int) -> Operator | None:
    return next((op for op in sg.operators if tensor in op.outputs), None)


@dataclass(frozen=True)
class _Loop:
    model: TfliteModel
    parent: Subgraph
    op: Operator
    cond: Subgraph
    body: Subgraph

    def entry_value(self, cond_tensor: int) -> tuple[int, int | None]:
        """(loop-variable position, its constant value on entry) of a cond input; position -1 if not one."""
        if cond_tensor not in self.cond.inputs:
            return -1, None
        pos = self.cond.inputs.index(cond_tensor)
        if pos >= len(self.op.inputs):
            return pos, None
        return pos, _const_int(self.model, self.parent, self.op.inputs[pos])

    def passes_through(self, pos: int) -> bool:
        body = self.body
        return pos < len(body.inputs) and pos < len(body.outputs) and body.outputs[pos] == body.inputs[pos]

    def step(self, pos: int) -> int | None:
        """The constant the body adds to loop variable ``pos`` each iteration (ADD(var, k)), else None."""
        body = self.body
        if pos >= len(body.inputs) or pos >= len(body.outputs):
            return None
        add = _producer(body, body.outputs[pos])
        if add is None or add.name != "ADD" or len(add.inputs) != 2 or body.inputs[pos] not in add.inputs:
            return None
        other = add.inputs[1] if add.inputs[0] == body.inputs[pos] else add.inputs[0]
        return _const_int(self.model, body, other)

    def bound(self, tensor: int) -> int | None:
        """A loop-invariant constant: a constant in cond, or a loop variable entering constant and unchanged."""
        value = _const_int(self.model, self.cond, tensor)
        if value is not None:
            return value
        pos, entry = self.entry_value(tensor)
        return entry if pos >= 0 and self.passes_through(pos) else None


def _comparison_trips(loop: _Loop, counter: int, bound_tensor: int, inclusive: bool) -> int | None:
    pos, start = loop.entry_value(counter)
    step = loop.step(pos) if pos >= 0 else None
    bound = loop.bound(bound_tensor)
    if start is None or bound is None or step is None or step <= 0:
        return None
    span = bound - start
    if inclusive:
        return span // step + 1 if span >= 0 else 0
    return -(-span // step) if span > 0 else 0


def _condition_bounds(loop: _Loop, tensor: int, depth: int = 0) -> list[int]:
    """Static trip counts implied by the boolean ``tensor`` of the cond subgraph (any of them limits it)."""
    op = _producer(loop.cond, tensor)
    if op is None or depth > _MAX_CONDITION_DEPTH or len(op.inputs) != 2 or min(op.inputs) < 0:
        return []
    a, b = op.inputs
    if op.name == "LOGICAL_AND":
        return _condition_bounds(loop, a, depth + 1) + _condition_bounds(loop, b, depth + 1)
    if op.name in _LESS:
        trips = _comparison_trips(loop, a, b, _LESS[op.name])
    elif op.name in _GREATER:
        trips = _comparison_trips(loop, b, a, _GREATER[op.name])
    else:
        return []
    return [] if trips is None else [trips]


def while_trip_count(model: TfliteModel, parent: Subgraph, op: Operator) -> int | None:
    """How many times the body of WHILE ``op`` (in ``parent``) runs, when static; None when unknown."""
    if op.name != "WHILE" or len(op.called_subgraphs) != 2:
        return None
    cond, body = (model.subgraphs[i] for i in op.called_subgraphs)
    if len(cond.outputs) != 1:
        return None
    bounds = _condition_bounds(_Loop(model, parent, op, cond, body), cond.outputs[0])
    return min(bounds) if bounds else None


def _call_edges(model: TfliteModel) -> dict[int, list[tuple[int, int | None]]]:
    """parent subgraph -> [(called subgraph, runs per parent run or None when unknown)]."""
    edges: dict[int, list[tuple[int, int | None]]] = {sg.index: [] for sg in model.subgraphs}
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.name == "WHILE" and len(op.called_subgraphs) == 2:
                trips = while_trip_count(model, sg, op)
                cond, body = op.called_subgraphs
                edges[sg.index] += [(cond, None if trips is None else trips + 1), (body, trips)]
            elif op.name in WHILE_OPS:
                edges[sg.index] += [(c, None) for c in op.called_subgraphs]
            else:  # IF branches (each counted as if taken), CALL_ONCE, ...
                edges[sg.index] += [(c, 1) for c in op.called_subgraphs]
    return edges


def _topological_order(n: int, edges: dict[int, list[tuple[int, int | None]]]) -> tuple[list[int], set[tuple[int, int]]]:
    """Subgraphs in call order (callers first, entry subgraph 0 first) and the back edges to ignore."""
    state = [0] * n  # 0 unvisited, 1 on the stack, 2 done
    order: list[int] = []
    back: set[tuple[int, int]] = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(edges[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif state[child[0]] == 1:
                back.add((node, child[0]))
            elif state[child[0]] == 0:
                state[child[0]] = 1
                stack.append((child[0], iter(edges[child[0]])))
    return order[::-1], back


def subgraph_runs(model: TfliteModel) -> dict[int, SubgraphRuns]:
    """Executions per inference of every subgraph (nested loops multiply; a subgraph called from several
    places sums them). Subgraphs nothing calls (the entry, other signatures, orphans) run once."""
    n = len(model.subgraphs)
    edges = _call_edges(model)
    order, back = _topological_order(n, edges)
    incoming = {c for p in edges for c, _ in edges[p] if (p, c) not in back}
    runs = {i: 1 if i == 0 or i not in incoming else 0 for i in range(n)}
    known = {i: all(c != i for _, c in back) for i in range(n)}  # a subgraph that calls itself: unknown
    for parent in order:
        for child, factor in edges[parent]:
            if (parent, child) in back:
                continue
            runs[child] += runs[parent] * (1 if factor is None else factor)
            known[child] = known[child] and known[parent] and factor is not None
            if runs[child] > MAX_RUNS:
                runs[child], known[child] = MAX_RUNS, False
    return {i: SubgraphRuns(runs[i], known[i]) for i in range(n)}
