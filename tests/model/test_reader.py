"""load_model against real converter output, checked against what the LiteRT interpreter itself reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from toolkit.model import INSPECT_SCHEMA, load_model, parse_model

_NUMPY_DTYPES = {"float32": "float32", "int32": "int32", "int8": "int8", "bool": "bool_", "int64": "int64"}


def _assert_matches_litert(model_path: Path, litert: dict) -> None:
    with load_model(model_path) as model:
        main = model.subgraphs[0]
        ours = [(op.index, op.name, list(op.inputs), list(op.outputs)) for op in main.operators]
        theirs = [(o["index"], o["op_name"], o["inputs"], o["outputs"]) for o in litert["ops"]]
        assert ours == theirs
        assert len(main.tensors) == len(litert["tensors"])
        for t, ref in zip(main.tensors, litert["tensors"], strict=True):
            assert (t.index, t.name) == (ref["index"], ref["name"])
            assert list(t.shape) == ref["shape"]
            assert list(t.shape_signature) == ref["shape_signature"]
            assert _NUMPY_DTYPES[t.dtype] == ref["dtype"]
            assert list(t.quantization.scales if t.quantization else []) == ref["scales"]


def test_conv_ops_and_tensors_match_litert(conv_model: Path, conv_litert: dict) -> None:
    _assert_matches_litert(conv_model, conv_litert)


def test_lstm_ops_and_tensors_match_litert(lstm_model: Path, lstm_litert: dict) -> None:
    _assert_matches_litert(lstm_model, lstm_litert)


def test_conv_model_header_metadata_and_signature(conv_model: Path) -> None:
    with load_model(conv_model) as model:
        assert model.producer == "MLIR Converted."
        assert model.schema_version == 3
        assert model.size_bytes == conv_model.stat().st_size
        assert {"min_runtime_version", "CONVERSION_METADATA"} <= set(model.metadata)
        assert model.metadata["min_runtime_version"].rstrip(b"\0").decode().count(".") == 2
        assert model.op_counts() == {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "RESHAPE": 1}
        [sig] = model.signatures
        assert sig.key == "serving_default" and sig.subgraph_index == 0
        assert list(sig.inputs.values()) == list(model.subgraphs[0].inputs)
        assert list(sig.outputs.values()) == list(model.subgraphs[0].outputs)


def test_weights_are_zero_copy_views_of_the_file(conv_model: Path) -> None:
    raw = conv_model.read_bytes()
    with load_model(conv_model) as model:
        conv = next(op for op in model.operators() if op.name == "CONV_2D")
        weights = model.subgraphs[0].tensors[conv.inputs[1]]
        assert weights.shape == (4, 3, 3, 3) and weights.buffer_bytes == 4 * 3 * 3 * 3 * 4
        view = model.buffer_data(weights.buffer_index)
        assert isinstance(view, memoryview) and len(view) == weights.buffer_bytes
        assert bytes(view) in raw
        assert np.isfinite(np.frombuffer(view, dtype=np.float32)).all()
        del view


def test_lstm_while_calls_cond_and_body_subgraphs(lstm_model: Path) -> None:
    with load_model(lstm_model) as model:
        [loop] = [op for op in model.operators() if op.name == "WHILE"]
        assert loop.subgraph == 0
        assert loop.called_subgraphs == (1, 2)
        assert loop.options == {"cond_subgraph_index": 1, "body_subgraph_index": 2}
        assert model.subgraphs[1].name.endswith("while_cond")
        assert model.subgraphs[2].name.endswith("while_body")
        # the body holds the LSTM cell: two matmuls (input and recurrent kernels)
        assert [op.name for op in model.subgraphs[2].operators].count("FULLY_CONNECTED") == 2


def test_extended_code_flex_custom_quantization_and_dynamic_dims(synthetic_model_bytes: bytes) -> None:
    model = parse_model(synthetic_model_bytes, Path("synthetic.tflite"))
    gelu, flex, custom = model.operators()
    assert (gelu.name, gelu.builtin_code, gelu.is_custom, gelu.version) == ("GELU", 150, False, 2)
    assert (flex.name, flex.is_custom, flex.is_flex, flex.builtin_code) == ("FlexIgamma", True, True, None)
    assert (custom.name, custom.is_custom, custom.is_flex) == ("MyOp", True, False)
    assert custom.inputs == (0, -1)
    x, w, _ = model.subgraphs[0].tensors
    assert x.shape == (1, 4) and x.shape_signature == (-1, 4) and x.is_dynamic
    assert w.dtype == "int8" and w.quantization is not None and w.quantization.per_channel
    assert w.quantization.scales == (0.5, 0.25) and w.quantization.zero_points == (0, 1)
    assert model.producer == "TOCO Converted."
    assert bytes(model.buffer_data(w.buffer_index)) == bytes(range(8))


def test_buffer_stored_after_the_flatbuffer_is_read_by_offset(external_buffer_model_bytes: bytes) -> None:
    model = parse_model(external_buffer_model_bytes, Path("external.tflite"))
    w = model.subgraphs[0].tensors[1]
    assert w.buffer_bytes == 8
    assert bytes(model.buffer_data(w.buffer_index)) == bytes(range(100, 108))


def test_to_dict_is_versioned_json(lstm_model: Path) -> None:
    with load_model(lstm_model) as model:
        doc = json.loads(json.dumps(model.to_dict()))
        assert doc["schema"] == INSPECT_SCHEMA
        assert doc["producer"] == "MLIR Converted."
        assert doc["metadata"]["min_runtime_version"]["text"]
        assert doc["metadata"]["CONVERSION_METADATA"]["bytes"] > 0
        assert len(doc["subgraphs"]) == 3
        assert doc["op_counts"]["WHILE"] == 1
        assert doc["subgraphs"][0]["operators"][1]["called_subgraphs"] == [1, 2]
        assert len(doc["sha256"]) == 64
