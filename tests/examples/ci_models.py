"""Two tiny models for the CI gate test: a baseline, and a "new" one where ReLU became GELU.

GELU is a TFLite builtin that LiteRT and tflite-runtime have and TFLite Micro lacks (measured op tables),
so the gate must fail on cortex-m4 and name the op.
"""

import tensorflow as tf

_W = tf.constant([[0.5, -0.25, 0.125, 1.0], [0.75, 0.5, -1.0, 0.25], [-0.5, 1.0, 0.25, -0.125]], tf.float32)


def baseline():
    @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32, name="x")])
    def model(x):
        return tf.nn.relu(tf.matmul(x, _W))

    return model


def gelu():
    @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32, name="x")])
    def model(x):
        return tf.nn.gelu(tf.matmul(x, _W))

    return model
