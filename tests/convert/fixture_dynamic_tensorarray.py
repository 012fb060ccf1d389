"""A tf.while_loop that writes a dynamic-size TensorArray: TF's tensor-list lowering fails with no source location."""

import tensorflow as tf


def build():
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def model(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)

        def body(i, h, ta):
            h = tf.tanh(h)
            return i + 1, h, ta.write(i, h)

        _, _, ta = tf.while_loop(lambda i, h, ta: i < 3, body, [tf.constant(0), x, ta])
        return ta.stack()

    return model
