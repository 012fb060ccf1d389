"""Writes a model converted the WRONG way (trackable object passed to from_concrete_functions).

TF 2.21 "succeeds" but keeps VAR_HANDLE/READ_VARIABLE without weights. Run as a script: it imports TF.
"""

import sys

import keras
import tensorflow as tf

keras.utils.set_random_seed(1)
inputs = keras.Input((4,))
model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
cf = tf.function(model).get_concrete_function(tf.TensorSpec([1, 4], tf.float32))
blob = tf.lite.TFLiteConverter.from_concrete_functions([cf], model).convert()
open(sys.argv[1], "wb").write(blob)
