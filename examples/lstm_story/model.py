"""A Keras 3 LSTM with a dynamic batch: the model class TF 2.21's converter cannot take as-is."""

import keras


def build() -> keras.Model:
    keras.utils.set_random_seed(11)
    inputs = keras.Input(shape=(20, 8), name="sensor")  # batch is None: TensorListReserve fails on it
    x = keras.layers.LSTM(32, name="lstm")(inputs)
    return keras.Model(inputs, keras.layers.Dense(4, activation="softmax", name="label")(x))
