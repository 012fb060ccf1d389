"""Find the user's line for a converter error that names only a TF node (runs in the worker, with TF).

Some converter passes (the tensor-list lowering above all: ``failed to legalize operation 'tf.Identity'`` at
node ``while/Identity_4@while_body_8``) report a node name and no source location. The traced concrete
function still holds every op with its Python creation traceback, including the ops of while/cond bodies
(its function library). This module looks the node up there and, when the node carries a tensor list,
follows that list back to the op that created it (the ``tf.TensorArray(...)`` call), through loop-body
arguments to the While op that feeds them: that line is what the user has to change.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.convert.error_trace import is_internal

# Ops that create a tensor list: what a TensorArray / tensor list starts as.
LIST_CREATORS = frozenset({"TensorListReserve", "EmptyTensorList", "TensorListFromTensor"})
# Function-calling ops: attribute naming the function, and how many leading inputs are not its arguments.
_CALLERS = {"While": (("body", "cond"), 0), "StatelessWhile": (("body", "cond"), 0),
            "If": (("then_branch", "else_branch"), 1), "StatelessIf": (("then_branch", "else_branch"), 1)}
_NODE_IN_TEXT = re.compile(r'"([\w./-]+@[\w.-]+)"')


def _library(graph: Any) -> dict[str, Any]:
    """Function name -> FuncGraph for every function reachable from ``graph`` (nested bodies included)."""
    found: dict[str, Any] = {}
    pending = [graph]
    while pending:
        g = pending.pop()
        for name, fn in getattr(g, "_functions", {}).items():
            sub = getattr(fn, "graph", None)
            if sub is not None and name not in found:
                found[name] = sub
                pending.append(sub)
    return found


def _find_op(graphs: dict[str, Any], outer: Any, node: str) -> Any | None:
    """The op a converter node name means: ``op@function`` in that function's graph, else by name anywhere."""
    name, _, function = node.partition("@")
    candidates = [graphs[function]] if function in graphs else [outer, *graphs.values()]
    for g in candidates:
        try:
            return g.get_operation_by_name(name)
        except (KeyError, ValueError):
            continue
    return None


def _callers(graphs: dict[str, Any], outer: Any) -> dict[str, list[tuple[Any, int]]]:
    """Function name -> [(calling op, input offset)] so a function argument can be traced to its caller."""
    calls: dict[str, list[tuple[Any, int]]] = {}
    for g in (outer, *graphs.values()):
        for op in g.get_operations():
            attrs, offset = _CALLERS.get(op.type, ((), 0))
            for attr in attrs:
                try:
                    calls.setdefault(op.get_attr(attr).name, []).append((op, offset))
                except (ValueError, AttributeError):
                    continue
    return calls


def _argument_sources(op: Any, calls: dict[str, list[tuple[Any, int]]]) -> list[Any]:
    """For a function's argument Placeholder: the ops feeding that argument in every caller."""
    graph = op.graph
    index = next((i for i, t in enumerate(getattr(graph, "inputs", [])) if t.op is op), None)
    if index is None:
        return []
    sources = []
    for caller, offset in calls.get(graph.name, []):
        if index + offset < len(caller.inputs):
            sources.append(caller.inputs[index + offset].op)
    return sources


def list_origin(op: Any, calls: dict[str, list[tuple[Any, int]]]) -> Any | None:
    """The op that created the tensor list ``op`` carries, or None when it carries none."""
    import tensorflow as tf

    seen: set[int] = set()
    pending = [op]
    while pending:
        cur = pending.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if cur.type in LIST_CREATORS:
            return cur
        if cur.type == "Placeholder":
            pending.extend(_argument_sources(cur, calls))
        else:
            pending.extend(t.op for t in cur.inputs if t.dtype == tf.variant)
    return None


def _frames(op: Any) -> list[list[Any]]:
    """The op's creation traceback, innermost frame first, as [file, line] pairs."""
    return [[fr.filename, int(fr.lineno)] for fr in reversed(list(op.traceback or []))]


def _reaches_user(frames: list[list[Any]]) -> bool:
    return any(not is_internal(file) for file, _ in frames)


def node_frames(concrete_function: Any, nodes: list[str]) -> dict[str, dict[str, Any]]:
    """node -> {"frames", "tensor_list", "node_frames"} for each node found in the function or its library.

    ``frames`` ([file, line] pairs, innermost first) are the node's own creation frames, or, when the node
    carries a tensor list whose creating op reaches the user's code, that op's frames (``tensor_list`` True;
    ``node_frames`` then keeps the node's own).
    """
    outer = concrete_function.graph
    graphs = _library(outer)
    calls = _callers(graphs, outer)
    out: dict[str, dict[str, Any]] = {}
    for node in dict.fromkeys(nodes):
        op = _find_op(graphs, outer, node)
        if op is None:
            continue
        own = _frames(op)
        creator = list_origin(op, calls)
        if creator is not None and creator is not op and _reaches_user(_frames(creator)):
            out[node] = {"frames": _frames(creator), "tensor_list": True, "node_frames": own}
        else:
            out[node] = {"frames": own, "tensor_list": False, "node_frames": own}
    return out


def nodes_in_error(errors: list[dict[str, Any]], message: str) -> list[str]:
    """Node names a converter error mentions: structured location names, then ``"op@function"`` in the text."""
    names: list[str] = []

    def walk(location: dict[str, Any]) -> None:
        for call in location.get("call", []):
            if call.get("name"):
                names.append(call["name"])
        for sub in location.get("locations", []) or []:
            walk(sub)

    for err in errors:
        walk(err.get("location") or {})
    names += _NODE_IN_TEXT.findall(message)
    return list(dict.fromkeys(names))


DEBUG_INFO = "debug/saved_model_debug_info.pb"
_FUNCTION_SUFFIX = re.compile(r"_\d+$")


def _node_key(node: str) -> tuple[str, str]:
    """'Igamma@__inference___call___34' -> ('Igamma', '__inference___call__'): a reloaded SavedModel renumbers
    its functions, so the name is matched without the trailing number."""
    name, _, function = node.partition("@")
    return name, _FUNCTION_SUFFIX.sub("", function)


def saved_model_node_frames(saved_model_dir: str, nodes: list[str]) -> dict[str, dict[str, Any]]:
    """node -> {"frames", ...} from a SavedModel written with ``SaveOptions(save_debug_info=True)``.

    Why: a loaded SavedModel's ops have no Python tracebacks; the debug info file keeps the stack traces
    of the ops as they were created when the model was saved, which is what TF's own converter shows.
    """
    from pathlib import Path

    path = Path(saved_model_dir) / DEBUG_INFO
    if not path.is_file() or not nodes:
        return {}
    from tensorflow.core.framework import graph_debug_info_pb2

    info = graph_debug_info_pb2.GraphDebugInfo()
    info.ParseFromString(path.read_bytes())
    by_key: dict[tuple[str, str], Any] = {}
    for name, trace_id in info.name_to_trace_id.items():
        by_key.setdefault(_node_key(name), info.traces_by_id[trace_id])
    for name, trace in info.traces.items():  # the older layout
        by_key.setdefault(_node_key(name), trace)
    out: dict[str, dict[str, Any]] = {}
    for node in dict.fromkeys(nodes):
        trace = by_key.get(_node_key(node))
        if trace is None:
            continue
        frames = [info.frames_by_id[i] for i in trace.frame_id] + list(trace.file_line_cols)
        pairs = [[info.files[f.file_index], int(f.line)] for f in frames if f.file_index < len(info.files)]
        pairs.reverse()  # innermost first, as node_frames gives them
        out[node] = {"frames": pairs, "tensor_list": False, "node_frames": pairs, "origin": "saved debug info"}
    return out
