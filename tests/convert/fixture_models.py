"""Small models for the conversion tests: each function returns a Keras 3 model or a tf.function.

Kept tiny (a few units, a few steps) so one worker process converts all of them in seconds.
"""

import keras
import tensorflow as tf

T, F = 12, 6


def _seed() -> None:
    keras.utils.set_random_seed(3)


def lstm() -> keras.Model:
    _seed()
    inputs = keras.Input((T, F), name="seq")
    x = keras.layers.LSTM(16)(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def gru() -> keras.Model:
    _seed()
    inputs = keras.Input((T, F), name="seq")
    x = keras.layers.GRU(16)(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def bilstm() -> keras.Model:
    _seed()
    inputs = keras.Input((T, F), name="seq")
    x = keras.layers.Bidirectional(keras.layers.LSTM(8))(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def stacked_lstm() -> keras.Model:
    _seed()
    inputs = keras.Input((T, F), name="seq")
    x = keras.layers.LSTM(16, return_sequences=True)(inputs)
    x = keras.layers.LSTM(8, return_sequences=True)(x)
    return keras.Model(inputs, x)


def text_lstm() -> keras.Model:
    """The tensorflow#53101 case: Embedding + LSTM text classifier with a dynamic batch."""
    _seed()
    inputs = keras.Input((15,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(100, 8)(inputs)
    x = keras.layers.LSTM(16)(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def while_loop():
    w = tf.constant([[0.5, -0.2, 0.1, 0.3]] * 4, tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def model(x):
        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w) + x)

        _, h = tf.while_loop(lambda i, h: i < 5, body, [tf.constant(0), x])
        return h

    return model


def cond():
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def model(x):
        return tf.cond(tf.reduce_sum(x) > 0.0, lambda: tf.nn.relu(x) * 2.0, lambda: tf.sin(x) - 1.0)

    return model


def seq2seq_greedy():
    """Greedy decoder: 6 steps, argmax token fed back through an embedding, logits in a sized TensorArray."""
    vocab, units, steps = 10, 8, 6
    g = tf.random.Generator.from_seed(5)
    emb = g.normal([vocab, units])
    w_h = g.normal([units, units]) * 0.3
    w_o = g.normal([units, vocab])

    @tf.function(input_signature=[tf.TensorSpec([1, units], tf.float32, name="encoder_state")])
    def model(state):
        logits_ta = tf.TensorArray(tf.float32, size=steps, element_shape=[1, vocab])
        token = tf.zeros([1], tf.int32)
        for t in tf.range(steps):
            state = tf.tanh(tf.matmul(state, w_h) + tf.gather(emb, token))
            logits = tf.matmul(state, w_o)
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            logits_ta = logits_ta.write(t, logits)
        return logits_ta.stack()

    return model
