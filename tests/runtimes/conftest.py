"""Models built with the schema (no TensorFlow) that make the real runner answer each way."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.model.builder import build_single_op_model, custom_op_model, dequantize_model


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """relu: runs everywhere; custom: a custom op no runtime has; f16: a float16 DEQUANTIZE TFLM rejects."""
    root = tmp_path_factory.mktemp("runner-models")
    built = {"relu": build_single_op_model("RELU"), "custom": custom_op_model(), "f16": dequantize_model("float16")}
    for name, data in built.items():
        (root / f"{name}.tflite").write_bytes(data)
    return {name: root / f"{name}.tflite" for name in built}
