"""The performance suite's models, built with TensorFlow once in a child process and cached.

The suite itself never imports TensorFlow (it times edgetk, which must not need it); this file run as a
script does the building. Random weights throughout: timing and size do not depend on weight values.
Files are written atomically (temp name + rename) under ``$EDGETK_CACHE/perf-models/v<N>``.

    python -m benchmarks.models --out DIR mobilenetv2 resnet50 small-keras lstm-keras dense-10mb ...
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

_VERSION = "1"  # bump when an architecture changes so stale cached files are not reused

#: a tiny Keras model as a Python source for `edgetk convert toy.py:net` (conv, pooling, dense)
TOY_SOURCE = """
import tensorflow as tf

def net():
    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((16, 16, 3), batch_size=1)
    x = tf.keras.layers.Conv2D(8, 3, activation="relu")(inp)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inp, tf.keras.layers.Dense(4, activation="softmax")(x))
"""

#: Dense-stack sizes (MB of float32 weights) for the growth curves.
DENSE_SIZES_MB = (1, 3, 10, 30, 100)
#: name -> file name in the cache
FILES = {
    "mobilenetv2": "mobilenetv2.tflite",  # Keras MobileNetV2, 224x224x3, float32 (≈14 MB)
    "resnet50": "resnet50.tflite",  # Keras ResNet50, 224x224x3, float32 (≈100 MB)
    "small-keras": "small.keras",  # a small Keras 3 conv net: the source for the convert figure
    "lstm-keras": "lstm.keras",  # Keras 3 LSTM, 100 steps, 128 units: the source for the RNN figure
    **{f"dense-{mb}mb": f"dense-{mb}mb.tflite" for mb in DENSE_SIZES_MB},
}
LSTM_STEPS, LSTM_UNITS, LSTM_FEATURES = 100, 128, 16


def model_dir() -> Path:
    from toolkit.paths import cache_dir

    return cache_dir() / "perf-models" / f"v{_VERSION}"


def ensure(*names: str, timeout: float = 1800) -> dict[str, Path]:
    """Paths of the requested models, building the missing ones in ONE child process (TF pays once)."""
    unknown = set(names) - set(FILES)
    if unknown:
        raise ValueError(f"unknown model(s) {sorted(unknown)}; known: {sorted(FILES)}")
    out = model_dir()
    paths = {name: out / FILES[name] for name in names}
    missing = [name for name, path in paths.items() if not path.exists()]
    if missing:
        out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        proc = subprocess.run([sys.executable, "-m", "benchmarks.models", "--out", str(out), *missing],
                              capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=Path(__file__).resolve().parent.parent)
        if proc.returncode != 0:
            raise RuntimeError(f"building {missing} failed: {proc.stderr.strip()[-400:]}")
    return paths


# ------------------------------------------------------------------ builders (child process only)
def _tflite_from_tf_keras(model, tf) -> bytes:
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def _mobilenetv2(tf, tf_keras, keras) -> bytes:
    model = tf_keras.applications.MobileNetV2(input_shape=(224, 224, 3), weights=None)
    return _tflite_from_tf_keras(model, tf)


def _resnet50(tf, tf_keras, keras) -> bytes:
    model = tf_keras.applications.ResNet50(input_shape=(224, 224, 3), weights=None)
    return _tflite_from_tf_keras(model, tf)


def _dense(mb: int):
    def build(tf, tf_keras, keras) -> bytes:
        layers = 4
        width = int((mb * 1e6 / 4 / layers) ** 0.5)
        inp = tf_keras.Input((width,), batch_size=1)
        x = inp
        for _ in range(layers):
            x = tf_keras.layers.Dense(width, activation="relu")(x)
        return _tflite_from_tf_keras(tf_keras.Model(inp, x), tf)

    return build


def _small_keras(keras) -> object:
    layers = keras.layers
    inp = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(inp)
    x = layers.DepthwiseConv2D(3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 1, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(10, activation="softmax")(x))


def _lstm_keras(keras) -> object:
    inp = keras.Input((LSTM_STEPS, LSTM_FEATURES))
    x = keras.layers.LSTM(LSTM_UNITS)(inp)
    return keras.Model(inp, keras.layers.Dense(10)(x))


_TFLITE = {"mobilenetv2": _mobilenetv2, "resnet50": _resnet50,
           **{f"dense-{mb}mb": _dense(mb) for mb in DENSE_SIZES_MB}}
_KERAS = {"small-keras": _small_keras, "lstm-keras": _lstm_keras}


def _build(name: str, out: Path) -> None:
    final = out / FILES[name]
    tmp = out / f".{os.getpid()}.{FILES[name]}"  # keeps the suffix: Keras checks it on save
    if name in _KERAS:
        import keras

        keras.utils.set_random_seed(1)
        _KERAS[name](keras).save(tmp)
    else:
        import tensorflow as tf
        import tf_keras

        tf_keras.utils.set_random_seed(1)
        tmp.write_bytes(_TFLITE[name](tf, tf_keras, None))
    os.replace(tmp, final)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("names", nargs="+", choices=sorted(FILES))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        _build(name, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
