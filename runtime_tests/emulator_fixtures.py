"""Fixtures for the emulator tests: tiny real models (converted once, cached) and a guest inference script.

The models are converted by TensorFlow in a child process (no TF import in the test process) and cached
under $EDGETK_CACHE/test-models/, like the images, so a test session converts at most once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from toolkit.paths import cache_dir

MODELS_VERSION = "emulator-tiny-v1"

_CONVERT = r"""
import sys
import numpy as np
import tensorflow as tf

out = sys.argv[1]
tf.keras.utils.set_random_seed(0)
inp = tf.keras.Input((16, 16, 3), batch_size=1)
x = tf.keras.layers.Conv2D(8, 3, activation="relu")(inp)
x = tf.keras.layers.GlobalAveragePooling2D()(x)
x = tf.keras.layers.Dense(5, activation="softmax")(x)
converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, x))
open(f"{out}/float.tflite", "wb").write(converter.convert())

def representative():
    rng = np.random.default_rng(0)
    for _ in range(8):
        yield [rng.random((1, 16, 16, 3), dtype=np.float32)]

converter.optimizations = [tf.lite.Optimize.DEFAULT]
converter.representative_dataset = representative
converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
open(f"{out}/int8.tflite", "wb").write(converter.convert())
"""

# Runs on the host (x86) and in the guest (aarch64/armv7l): stdlib + numpy + one runtime.
INFER_SCRIPT = r"""
import json, platform, sys
import numpy as np

runtime, model = sys.argv[1], sys.argv[2]
if runtime == "litert":
    from ai_edge_litert.interpreter import Interpreter
else:
    from tflite_runtime.interpreter import Interpreter
interpreter = Interpreter(model_path=model)
interpreter.allocate_tensors()
inp = interpreter.get_input_details()[0]
x = np.random.default_rng(0).random(inp["shape"], dtype=np.float32)
if inp["dtype"] != np.float32:
    scale, zero = inp["quantization"]
    x = np.clip(np.round(x / scale + zero), -128, 127).astype(inp["dtype"])
interpreter.set_tensor(inp["index"], x)
interpreter.invoke()
out = interpreter.get_output_details()[0]
y = interpreter.get_tensor(out["index"])
scale = out["quantization"][0]
y = (y.astype(np.float64) - out["quantization"][1]) * scale if scale else y.astype(np.float64)
model_name = open("/proc/device-tree/model").read().strip("\0") if platform.machine() != "x86_64" else ""
print(json.dumps({"machine": platform.machine(), "pi_model": model_name, "scale": scale,
                  "output": y.ravel().tolist()}))
"""


def tiny_models() -> dict[str, Path]:
    """{"float": path, "int8": path}: a conv + dense + softmax model, float and full-int8."""
    final = cache_dir() / "test-models" / MODELS_VERSION
    if not (final / "int8.tflite").is_file():
        final.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{MODELS_VERSION}-", dir=final.parent))
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        subprocess.run([sys.executable, "-c", _CONVERT, str(staged)], check=True, capture_output=True, env=env)
        try:
            os.rename(staged, final)
        except OSError:  # another session got there first
            shutil.rmtree(staged, ignore_errors=True)
    return {"float": final / "float.tflite", "int8": final / "int8.tflite"}


def host_inference(runtime: str, model: Path, script: Path) -> dict:
    """The x86 reference: the same script with this venv's runtime, in a child process."""
    proc = subprocess.run([sys.executable, str(script), runtime, str(model)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
