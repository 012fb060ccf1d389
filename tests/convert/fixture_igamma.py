"""A tf.function whose op TFLite lacks (tf.math.igamma) two calls deep in the user's own code."""

import tensorflow as tf


def _special(x):
    return tf.math.igamma(x, x + 1.0)


def build():
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def model(x):
        return _special(tf.abs(x)) * 2.0

    return model
