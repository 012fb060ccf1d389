"""Real .tflite fixtures for the model tests, converted once by TensorFlow in a child process and cached.

TensorFlow must not be imported into the test process (tflite_runtime breaks if TF came first, and the
toolkit promises that reading a model never needs TF), so each model is made by a small script run with
``sys.executable``. The file is cached under ``$EDGETK_CACHE/test-models/`` keyed by the script's hash,
so re-runs are instant and a changed script makes a new model.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Same shared cache as the root conftest (its autouse fixture is function-scoped; these are session-scoped).
_CACHE = Path(os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache")))

_PRELUDE = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
import keras
keras.utils.set_random_seed(0)
"""

_FOOTER = """
cf = tf.function(model).get_concrete_function(tf.TensorSpec(SHAPE, tf.float32))
converter = tf.lite.TFLiteConverter.from_concrete_functions([cf])
open(sys.argv[1], "wb").write(converter.convert())
"""

# Conv 3x3 'same' 3->4 on 8x8, depthwise 3x3 'valid' -> 6x6x4, dense 144 -> 5.
CONV_SCRIPT = (
    _PRELUDE
    + """
model = keras.Sequential([
    keras.Input(shape=(8, 8, 3), batch_size=1),
    keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
    keras.layers.DepthwiseConv2D(3, padding="valid"),
    keras.layers.Flatten(),
    keras.layers.Dense(5),
])
# from_keras_model (unlike from_concrete_functions) writes a SignatureDef ("serving_default").
converter = tf.lite.TFLiteConverter.from_keras_model(model)
open(sys.argv[1], "wb").write(converter.convert())
"""
)

# Keras 3 LSTM at a fixed batch of 1 converts to a WHILE loop (cond + body subgraphs).
LSTM_SCRIPT = (
    _PRELUDE
    + """
SHAPE = [1, 5, 3]
model = keras.Sequential([
    keras.Input(shape=(5, 3), batch_size=1),
    keras.layers.LSTM(4),
    keras.layers.Dense(2),
])
"""
    + _FOOTER
)

# tf-keras (Keras 2) LSTM at batch 1: the converter fuses it into UNIDIRECTIONAL_SEQUENCE_LSTM.
FUSED_LSTM_SCRIPT = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
import tf_keras
tf_keras.utils.set_random_seed(0)
model = tf_keras.Sequential([
    tf_keras.Input(shape=(5, 3), batch_size=1),
    tf_keras.layers.LSTM(4),
    tf_keras.layers.Dense(2),
])
open(sys.argv[1], "wb").write(tf.lite.TFLiteConverter.from_keras_model(model).convert())
"""

# tf.while_loop shapes the cost model's trip-count inference must read: nested static loops (3 x 4 steps of an
# 8x8 matmul), a bound computed from the input (unknown), and maximum_iterations=6 under a bound of 10.
WHILE_LOOPS_SCRIPT = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
rng = np.random.default_rng(0)
W = tf.constant(rng.standard_normal((8, 8)).astype(np.float32) * 0.1)
V = tf.constant(rng.standard_normal((8, 8)).astype(np.float32) * 0.1)

@tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
def loops(x):
    def outer(i, h):
        def inner(j, g):
            return j + 1, tf.tanh(tf.matmul(g, W))
        _, h = tf.while_loop(lambda j, g: j < 4, inner, [tf.constant(0), h])
        return i + 1, h
    _, y = tf.while_loop(lambda i, h: i < 3, outer, [tf.constant(0), x])
    n = tf.cast(tf.reduce_sum(tf.abs(x)), tf.int32)
    _, z = tf.while_loop(lambda k, g: k < n, lambda k, g: (k + 1, tf.matmul(g, V)), [tf.constant(0), x])
    _, u = tf.while_loop(lambda k, g: k < 10, lambda k, g: (k + 1, tf.matmul(g, V)), [tf.constant(0), x],
                         maximum_iterations=6)
    return y, z, u

cf = loops.get_concrete_function()
open(sys.argv[1], "wb").write(tf.lite.TFLiteConverter.from_concrete_functions([cf], loops).convert())
"""


def build_cached_model(name: str, script: str) -> Path:
    """Run `script` (which writes a .tflite to argv[1]) once and return the cached file."""
    key = hashlib.sha256(script.encode()).hexdigest()[:16]
    out = _CACHE / "test-models" / f"{name}-{key}.tflite"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0 or not tmp.exists():
        raise RuntimeError(f"building test model {name} failed:\n{proc.stderr[-3000:]}")
    os.replace(tmp, out)  # atomic: parallel sessions never see a half-written model
    return out


@pytest.fixture(scope="session")
def conv_model() -> Path:
    return build_cached_model("conv", CONV_SCRIPT)


@pytest.fixture(scope="session")
def lstm_model() -> Path:
    return build_cached_model("lstm", LSTM_SCRIPT)


@pytest.fixture(scope="session")
def fused_lstm_model() -> Path:
    return build_cached_model("fused-lstm", FUSED_LSTM_SCRIPT)


@pytest.fixture(scope="session")
def while_loops_model() -> Path:
    return build_cached_model("while-loops", WHILE_LOOPS_SCRIPT)


_LITERT_PROBE = """
import json, sys
from ai_edge_litert.interpreter import Interpreter, OpResolverType
it = Interpreter(model_path=sys.argv[1],
                 experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
ops = [{"index": o["index"], "op_name": o["op_name"], "inputs": [int(i) for i in o["inputs"]],
        "outputs": [int(i) for i in o["outputs"]]} for o in it._get_ops_details()]
tensors = [{"index": t["index"], "name": t["name"], "shape": t["shape"].tolist(),
            "shape_signature": t["shape_signature"].tolist(), "dtype": t["dtype"].__name__,
            "scales": t["quantization_parameters"]["scales"].tolist(),
            "zero_points": t["quantization_parameters"]["zero_points"].tolist()}
           for t in it.get_tensor_details()]
print(json.dumps({"ops": ops, "tensors": tensors}))
"""


def litert_details(model: Path) -> dict:
    """What the real LiteRT interpreter reports for subgraph 0 (run in a child: native code stays out)."""
    proc = subprocess.run([sys.executable, "-c", _LITERT_PROBE, str(model)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def conv_litert(conv_model: Path) -> dict:
    return litert_details(conv_model)


@pytest.fixture(scope="session")
def lstm_litert(lstm_model: Path) -> dict:
    return litert_details(lstm_model)


def _synthetic_bytes(external_offset: int | None = None) -> bytes:
    """A hand-built model covering what the converter fixtures do not: an extended builtin code (GELU, 150,
    stored as deprecated=127 + builtin_code), Flex and custom ops, per-channel int8 quantization, a dynamic
    dimension, TOCO's producer string, and optionally a buffer stored after the flatbuffer (offset/size)."""
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT()
    m.version, m.description = 3, "TOCO Converted."
    empty, weights = s.BufferT(), s.BufferT()
    if external_offset is None:
        weights.data = np.arange(8, dtype=np.uint8)
    else:
        weights.offset, weights.size = external_offset, 8
    m.buffers = [empty, weights]
    codes = []
    for deprecated, builtin, custom in (
        (127, s.BuiltinOperator.GELU, None),
        (32, 32, "FlexIgamma"),
        (32, 32, "MyOp"),
    ):
        oc = s.OperatorCodeT()
        oc.deprecatedBuiltinCode, oc.builtinCode, oc.customCode, oc.version = deprecated, builtin, custom, 2
        codes.append(oc)
    m.operatorCodes = codes

    def tensor(name, dtype, shape, signature=None, buffer=0, quant=None):
        t = s.TensorT()
        t.name, t.type, t.shape, t.buffer, t.quantization = name, dtype, shape, buffer, quant
        t.shapeSignature = signature
        return t

    q = s.QuantizationParametersT()
    q.scale, q.zeroPoint, q.quantizedDimension = [0.5, 0.25], [0, 1], 0
    sg = s.SubGraphT()
    sg.name = "main"
    sg.tensors = [tensor("x", s.TensorType.FLOAT32, [1, 4], [-1, 4]),
                  tensor("w", s.TensorType.INT8, [2, 4], buffer=1, quant=q),
                  tensor("y", s.TensorType.FLOAT32, [1, 4], [-1, 4])]  # fmt: skip
    sg.inputs, sg.outputs = [0], [2]
    ops = []
    for code, inputs in ((0, [0]), (1, [0, 1]), (2, [0, -1])):
        op = s.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = code, inputs, [2]
        ops.append(op)
    sg.operators = ops
    m.subgraphs = [sg]
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@pytest.fixture(scope="session")
def synthetic_model_bytes() -> bytes:
    return _synthetic_bytes()


@pytest.fixture(scope="session")
def external_buffer_model_bytes() -> bytes:
    """Weights appended after the flatbuffer, as the converter does for models over 2 GB."""
    size = len(
        _synthetic_bytes(external_offset=1 << 40)
    )  # u64 field: the length does not depend on the value
    offset = (size + 15) // 16 * 16
    body = _synthetic_bytes(external_offset=offset)
    assert len(body) == size
    return body + b"\0" * (offset - size) + bytes(range(100, 108))
