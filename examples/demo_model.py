"""The demo's embedded default model: a small Keras 3 LSTM classifier with a dynamic batch.

Exactly the kind of model the MLIR converter chokes on as-is (dynamic batch + LSTM → TensorList ops);
`edgetk convert` fixes the batch and keeps it to builtin ops. Weights are seeded random: latency and op
support do not depend on their values.
"""

import keras

TIMESTEPS, FEATURES, UNITS, CLASSES = 20, 8, 32, 4


def build() -> keras.Model:
    keras.utils.set_random_seed(7)
    inputs = keras.Input(shape=(TIMESTEPS, FEATURES), name="sensor")
    x = keras.layers.LSTM(UNITS, name="lstm")(inputs)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="label")(x)
    return keras.Model(inputs, outputs, name="demo_lstm")
