"""Control flow that converts to WHILE/IF builtins: a greedy decoder with a SIZED TensorArray and a tf.cond.

Change `element_shape=[1, VOCAB]` to nothing, or `size=STEPS` to `dynamic_size=True`, and the conversion fails
with a message naming this file's line and the fix.
"""

import tensorflow as tf

VOCAB, UNITS, STEPS = 10, 8, 6


def build():
    g = tf.random.Generator.from_seed(5)
    emb, w_h, w_o = g.normal([VOCAB, UNITS]), g.normal([UNITS, UNITS]) * 0.3, g.normal([UNITS, VOCAB])

    @tf.function(input_signature=[tf.TensorSpec([1, UNITS], tf.float32, name="encoder_state")])
    def decode(state):
        logits_ta = tf.TensorArray(tf.float32, size=STEPS, element_shape=[1, VOCAB])
        token = tf.zeros([1], tf.int32)
        for t in tf.range(STEPS):  # autograph → tf.while_loop → WHILE
            state = tf.tanh(tf.matmul(state, w_h) + tf.gather(emb, token))
            logits = tf.matmul(state, w_o)
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            logits_ta = logits_ta.write(t, logits)
        out = logits_ta.stack()
        return tf.cond(tf.reduce_max(out) > 100.0, lambda: out / 100.0, lambda: out)  # → IF

    return decode


def build_loop():
    """A tf.while_loop recurrence and a tf.cond on its result: WHILE + IF that TFLite Micro runs too."""
    w_h = tf.random.Generator.from_seed(7).normal([UNITS, UNITS]) * 0.3

    @tf.function(input_signature=[tf.TensorSpec([1, UNITS], tf.float32, name="x")])
    def recur(x):
        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w_h) + x)  # → WHILE body subgraph

        _, h = tf.while_loop(lambda i, h: i < STEPS, body, [tf.constant(0), x])
        return tf.cond(tf.reduce_sum(h) > 0.0, lambda: tf.nn.relu(h), lambda: h * 0.5)  # → IF

    return recur


def build_unsized():
    """A TensorArray the converter cannot lower to builtins (dynamic_size=True)."""

    @tf.function(input_signature=[tf.TensorSpec([1, UNITS], tf.float32, name="encoder_state")])
    def decode(state):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for t in tf.range(STEPS):
            state = tf.tanh(state)
            ta = ta.write(t, state)
        return ta.stack()

    return decode
