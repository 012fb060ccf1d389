"""Writes every non-Python source format edgetk convert reads, for tests/convert/test_sources_and_quantization.py.

Run as a script (`python make_sources.py OUT_DIR`): it imports TensorFlow, so the tests run it once in a child
and cache OUT_DIR. Writes:
  two_sigs/       tf.Module SavedModel with signatures "serving_default" (x @ w + b) and "scaled" (tanh(3 x)),
                  written with save_debug_info=True
  lstm_export/    Keras 3 ``model.export()`` of a small LSTM (dynamic batch)
  lstm.keras, lstm.h5   the same LSTM saved by Keras 3
  conv.pb         frozen GraphDef (binary) of a small conv net; input "image" [None, 8, 8, 8]
                  (weights big enough that dynamic-range quantization touches them), output in sources.json
  conv_calib.npz  32 calibration samples for conv.pb (key "image")
  sources.json    names the frozen graph's output node
"""

import json
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

T, F = 10, 4


def two_signature_module(out: Path) -> None:
    rng = np.random.default_rng(7)

    class Affine(tf.Module):
        def __init__(self) -> None:
            self.w = tf.Variable(rng.normal(size=(4, 3)).astype("float32"))
            self.b = tf.Variable(rng.normal(size=(3,)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def affine(self, x):
            return {"y": tf.matmul(x, self.w) + self.b}

        @tf.function(input_signature=[tf.TensorSpec([1, 5], tf.float32, name="x")])
        def scaled(self, x):
            return {"z": tf.tanh(3.0 * x)}

    module = Affine()
    tf.saved_model.save(module, str(out / "two_sigs"),
                        signatures={"serving_default": module.affine, "scaled": module.scaled},
                        options=tf.saved_model.SaveOptions(save_debug_info=True))


def lstm_files(out: Path) -> None:
    keras.utils.set_random_seed(11)
    inputs = keras.Input((T, F), name="seq")
    x = keras.layers.LSTM(8)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.export(str(out / "lstm_export"), verbose=False)
    model.save(out / "lstm.keras")
    model.save(out / "lstm.h5")


def frozen_conv(out: Path) -> str:
    rng = np.random.default_rng(3)
    kernel = tf.Variable(rng.normal(scale=0.3, size=(3, 3, 8, 32)).astype("float32"))
    dense = tf.Variable(rng.normal(scale=0.3, size=(32, 40)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 8], tf.float32, name="image")])
    def net(image):
        x = tf.nn.relu(tf.nn.conv2d(image, kernel, strides=1, padding="SAME"))
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.matmul(x, dense)

    frozen = convert_variables_to_constants_v2(net.get_concrete_function())
    graph_def = frozen.graph.as_graph_def()
    tf.io.write_graph(graph_def, str(out), "conv.pb", as_text=False)
    np.savez(out / "conv_calib.npz", image=rng.uniform(-1, 1, size=(32, 1, 8, 8, 8)).astype("float32"))
    return frozen.outputs[0].name.split(":")[0]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    two_signature_module(out)
    lstm_files(out)
    output_node = frozen_conv(out)
    (out / "sources.json").write_text(json.dumps({"conv_output": output_node}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
