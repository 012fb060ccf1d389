"""A model with an op TFLite lacks (tf.math.igamma): the converter error must point at the line below."""

import tensorflow as tf


def regularized_gamma(x):
    return tf.math.igamma(x, x + 1.0)  # no TFLite builtin: needs a custom op


def build():
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def model(x):
        y = x * 2.0
        return regularized_gamma(y)

    return model
