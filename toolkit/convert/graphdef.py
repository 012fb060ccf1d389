"""GraphDefs as callables: frozen ``.pb`` files and pre-traced SavedModel signatures. Runs inside the worker.

Why: a frozen GraphDef imported with ``wrap_function`` and pruned to the named inputs/outputs is a concrete
function, so it goes through the same fixed-shape tracing, ``from_concrete_functions`` and numerical check
against TF as every other source (TF1's ``from_frozen_graph`` gives no TF reference to check against).

Pre-traced graphs (a Keras 3 ``model.export()`` SavedModel, a frozen LSTM) bake the dynamic batch into the
TensorList element shapes as constants (``[-1, units]``); retracing cannot change them and TF 2.21 refuses
to lower such lists ("requires element_shape to be static"). ``fix_list_element_shapes`` writes the fixed
batch into those constants; the report says so and the numerical check verifies the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.errors import BadInputError

# op -> index of its element_shape input
LIST_OPS = {"TensorListReserve": 0, "EmptyTensorList": 0, "TensorListFromTensor": 1, "TensorListStack": 1,
            "TensorListGetItem": 2, "TensorListPopBack": 1, "TensorListGather": 2, "TensorListConcatV2": 1}


def read_graph_def(path: str) -> Any:
    """A GraphDef from a binary (or text) protobuf file."""
    import tensorflow as tf
    from google.protobuf import text_format

    data = Path(path).read_bytes()
    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except Exception:  # noqa: BLE001 - not binary: try the text form tf.io.write_graph(as_text=True) writes
        try:
            text_format.Parse(data.decode("utf-8"), graph_def)
        except Exception as exc:  # noqa: BLE001
            raise BadInputError(f"{path}: not a GraphDef protobuf ({type(exc).__name__})") from exc
    return graph_def


def node_name(tensor: str) -> str:
    """'x:0' / 'x' → 'x'."""
    return tensor.split(":")[0]


def tensor_name(name: str) -> str:
    """'x' → 'x:0' (the first output); names with an output index are kept."""
    return name if ":" in name else f"{name}:0"


def check_arrays(graph_def: Any, inputs: tuple[str, ...], outputs: tuple[str, ...], source: str) -> None:
    """BadInputError naming the missing node and listing the graph's placeholders / likely outputs."""
    nodes = {n.name: n for n in graph_def.node}
    placeholders = [n.name for n in graph_def.node if n.op == "Placeholder"]
    consumed = {node_name(i.lstrip("^")) for n in graph_def.node for i in n.input}
    sinks = [n.name for n in graph_def.node if n.name not in consumed and n.op not in ("Const", "NoOp")]
    for flag, names, hint in (("--input-arrays", inputs, f"placeholders: {', '.join(placeholders) or 'none'}"),
                              ("--output-arrays", outputs, f"unconsumed nodes: {', '.join(sinks[:8]) or 'none'}")):
        for name in names:
            if node_name(name) not in nodes:
                raise BadInputError(f"{source}: {flag} names '{name}', which is not a node of the graph ({hint})")
    for name in inputs:
        if nodes[node_name(name)].op != "Placeholder":
            raise BadInputError(f"{source}: --input-arrays '{name}' is a {nodes[node_name(name)].op}, not a "
                                f"Placeholder (placeholders: {', '.join(placeholders) or 'none'})")


def placeholder_spec(graph_def: Any, name: str) -> tuple[list[int | None] | None, str]:
    """(shape with None for unknown dims, or None for unknown rank; numpy dtype name) of a Placeholder."""
    import tensorflow as tf

    node = next(n for n in graph_def.node if n.name == node_name(name))
    proto = node.attr["shape"].shape
    shape = None if proto.unknown_rank else [d.size if d.size >= 0 else None for d in proto.dim]
    return shape, tf.as_dtype(node.attr["dtype"].type).as_numpy_dtype.__name__


def set_placeholder_shapes(graph_def: Any, shapes: dict[str, list[int | None]]) -> None:
    """Write fixed shapes into the Placeholders' ``shape`` attributes (so the imported graph is static)."""
    import tensorflow as tf

    for node in graph_def.node:
        if node.op == "Placeholder" and node.name in shapes:
            node.attr["shape"].shape.CopyFrom(tf.TensorShape(shapes[node.name]).as_proto())


def fix_list_element_shapes(graph_def: Any, batch: int) -> list[str]:
    """Replace a dynamic leading dim in constant TensorList element shapes with ``batch``; names the lists.

    Only element shapes of rank >= 2 whose ONLY unknown dim is the first are touched: that is the batch of
    a per-step RNN/TensorArray element. Everything else is left for the converter to judge.
    """
    import tensorflow as tf

    fixed = []
    for nodes in [graph_def.node, *[f.node_def for f in graph_def.library.function]]:
        by_name = {n.name: n for n in nodes}
        for node in nodes:
            if node.op not in LIST_OPS:
                continue
            const = by_name.get(node_name(node.input[LIST_OPS[node.op]]))
            if const is None or const.op != "Const":
                continue
            shape = tf.make_ndarray(const.attr["value"].tensor)
            if shape.ndim != 1 or shape.size < 2 or shape[0] != -1 or (shape[1:] < 0).any():
                continue
            shape = shape.copy()
            shape[0] = batch
            const.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(shape, dtype=shape.dtype))
            fixed.append(node.name)
    return fixed


def graph_function(graph_def: Any, inputs: list[str], outputs: list[str]) -> Any:
    """A concrete function computing ``outputs`` from ``inputs`` (tensor names) of an imported GraphDef."""
    import tensorflow as tf

    wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    graph = wrapped.graph
    return wrapped.prune([graph.get_tensor_by_name(tensor_name(n)) for n in inputs],
                         [graph.get_tensor_by_name(tensor_name(n)) for n in outputs])


def freeze_signature(signature: Any) -> tuple[Any, list[str], list[str]]:
    """(GraphDef with variables as constants, input tensor names, output tensor names) of a signature.

    Inputs follow the signature's sorted keyword names, outputs its sorted output keys (the order
    ``tf.nest.flatten`` gives both), the same order the SavedModel front-end uses.
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(signature)
    return frozen.graph.as_graph_def(), [t.name for t in frozen.inputs], [t.name for t in frozen.outputs]
