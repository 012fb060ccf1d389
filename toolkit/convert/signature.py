"""Write a SignatureDef into a converted .tflite: apps built on signature runners need one.

``TFLiteConverter.from_concrete_functions([cf])`` without the trackable object (the only way that keeps the
weights, see postcheck) writes no SignatureDef: ``get_signature_runner()`` then raises "model has 0
Signatures" and the outputs are named Identity, Identity_1. The plain converter on the SavedModel keeps
``serving_default`` with the input names and output keys; this module puts the same back from what the
front-end knew (signature key, input names, output keys or Keras output layer names). Uses LiteRT's generated
flatbuffer schema; no TensorFlow.
"""

from __future__ import annotations

from typing import Any

FILE_IDENTIFIER = b"TFL3"


def output_keys(structured_outputs: Any, count: int, names: list[str] | None) -> list[str]:
    """Signature output keys in the order of the flattened outputs: dict keys (sorted, as tf.nest flattens),
    else the names the front-end gave, else output_0, output_1, ..."""
    if isinstance(structured_outputs, dict) and len(structured_outputs) == count:
        return sorted(str(k) for k in structured_outputs)
    if names and len(names) == count and len(set(names)) == count:
        return [str(n) for n in names]
    return [f"output_{i}" for i in range(count)]


def add_signature(blob: bytes, key: str, input_names: list[str], output_names: list[str]) -> bytes:
    """The model with one SignatureDef over subgraph 0; a model that already has one is returned as is."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(blob, 0)
    if model.signatureDefs:
        return blob
    graph = model.subgraphs[0]
    if len(graph.inputs) != len(input_names) or len(graph.outputs) != len(output_names):
        raise ValueError(f"signature has {len(input_names)} inputs / {len(output_names)} outputs, the model "
                         f"{len(graph.inputs)} / {len(graph.outputs)}")

    def maps(names: list[str], tensors: Any) -> list[Any]:
        out = []
        for name, index in zip(names, tensors, strict=True):
            entry = schema.TensorMapT()
            entry.name, entry.tensorIndex = name, int(index)
            out.append(entry)
        return out

    sig = schema.SignatureDefT()
    sig.signatureKey, sig.subgraphIndex = key, 0
    sig.inputs, sig.outputs = maps(input_names, graph.inputs), maps(output_names, graph.outputs)
    model.signatureDefs = [sig]
    builder = flatbuffers.Builder(len(blob) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())
