"""Child script (imports TensorFlow): converts a few small real models for the check-vs-reality tests.

Usage: python make_tf_models.py OUT_DIR. Run only in a child process; tests cache OUT_DIR.
"""

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
import keras  # noqa: E402


def _frozen(model: "keras.Model", shape: list[int]) -> "tf.lite.TFLiteConverter":
    cf = tf.function(lambda x: model(x)).get_concrete_function(tf.TensorSpec(shape, tf.float32))
    return tf.lite.TFLiteConverter.from_concrete_functions([cf])


# Keras 3 LSTM at batch 1 -> a WHILE loop of builtin ops.
lstm = keras.Sequential([keras.Input((6, 3), batch_size=1), keras.layers.LSTM(5), keras.layers.Dense(2)])
(out / "keras_lstm_while.tflite").write_bytes(_frozen(lstm, [1, 6, 3]).convert())

# Masking in front of the LSTM: Keras' masked RNN step emits SELECT (v1) ops.
masked = keras.Sequential([keras.Input((6, 3), batch_size=1), keras.layers.Masking(0.0), keras.layers.LSTM(5)])
(out / "keras_masked_lstm.tflite").write_bytes(_frozen(masked, [1, 6, 3]).convert())

# float16 weights: DEQUANTIZE from float16 in front of every weight.
dense = keras.Sequential([keras.Input((16,), batch_size=1), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)])
conv = _frozen(dense, [1, 16])
conv.optimizations = [tf.lite.Optimize.DEFAULT]
conv.target_spec.supported_types = [tf.float16]
(out / "dense_fp16.tflite").write_bytes(conv.convert())

# Full int8: what microcontrollers run.
cnn = keras.Sequential([keras.Input((8, 8, 1), batch_size=1), keras.layers.Conv2D(4, 3, activation="relu"),
                        keras.layers.Flatten(), keras.layers.Dense(3), keras.layers.Softmax()])
conv = _frozen(cnn, [1, 8, 8, 1])
conv.optimizations = [tf.lite.Optimize.DEFAULT]
conv.representative_dataset = lambda: ([np.random.rand(1, 8, 8, 1).astype(np.float32)] for _ in range(8))
conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
conv.inference_input_type = conv.inference_output_type = tf.int8
(out / "cnn_int8.tflite").write_bytes(conv.convert())


# A TF op with no builtin: Flex.
@tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
def cumprod(x):
    return tf.math.cumprod(x, axis=1)


conv = tf.lite.TFLiteConverter.from_concrete_functions([cumprod.get_concrete_function()])
conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
(out / "flex_cumprod.tflite").write_bytes(conv.convert())
(out / "DONE").write_text("ok")
