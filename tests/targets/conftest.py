"""Real .tflite models for the targets tests: builder-made single-feature models and a few converted by
TensorFlow in a child process (cached under $EDGETK_CACHE/test-models/targets)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.model import builder

HERE = Path(__file__).resolve().parent
BUILDER_MODELS = {
    "select_v1": builder.select_model,
    "densify": builder.densify_model,
    "dequantize_fp16": builder.dequantize_model,
    "dequantize_int8": lambda: builder.dequantize_model("int8"),
    "custom_op": builder.custom_op_model,
    "flex_op": builder.flex_op_model,
    "resource_variables": builder.resource_variable_model,
    "while_loop": builder.while_model,
    "add_v99": builder.versioned_op_model,
}
TF_MODELS = ["keras_lstm_while", "keras_masked_lstm", "dense_fp16", "cnn_int8", "flex_cumprod"]


@pytest.fixture(scope="session")
def builder_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("builder-models")
    paths = {}
    for name, make in BUILDER_MODELS.items():
        paths[name] = out / f"{name}.tflite"
        paths[name].write_bytes(make())
    return paths


@pytest.fixture(scope="session")
def tf_models() -> dict[str, Path]:
    from toolkit.paths import cache_dir

    out = cache_dir() / "test-models" / "targets"
    if not (out / "DONE").exists():
        proc = subprocess.run([sys.executable, str(HERE / "make_tf_models.py"), str(out)],
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return {name: out / f"{name}.tflite" for name in TF_MODELS}
