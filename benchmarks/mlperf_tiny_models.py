"""The four MLPerf Tiny v0.5 architectures (+ a tiny conv net for tests) as int8 .tflite files, cached.

Latency does not depend on weight values, so random weights are enough to calibrate the MCU estimate
(toolkit/bench/mcu_estimate.py) against the published reference-kernel latencies. The models are built
with Keras 2 (tf_keras) and converted by TF **in a child process** (this file run as a script), so the
process that asks for them never imports TensorFlow. Files are cached under $EDGETK_CACHE and written
atomically (temp name + rename), so parallel test processes can ask at the same time.

    python -m benchmarks.mlperf_tiny_models --out DIR kws vww ic ad tiny-int8 tiny-float
    python -m benchmarks.mlperf_tiny_models --calibrate [--write]   # fit the MCU estimate, print errors
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

#: MLPerf Tiny v0.5 reference submission, Nucleo-L4R5ZI (Cortex-M4 @ 120 MHz), TFLM reference kernels.
MLPERF_TINY_V05_REFERENCE_MS = {"kws": 181.9, "vww": 600.6, "ic": 704.2, "ad": 10.1}
MODEL_NAMES = ("kws", "vww", "ic", "ad", "tiny-int8", "tiny-float")
_VERSION = "1"  # bump when an architecture changes so stale cached files are not reused


def model_dir() -> Path:
    from toolkit.paths import cache_dir

    return cache_dir() / "test-models" / f"mlperf-tiny-v{_VERSION}"


def ensure_models(names: list[str] | tuple[str, ...] = MODEL_NAMES, timeout: float = 900) -> dict[str, Path]:
    """Paths of the requested models, converting the missing ones in one child process."""
    unknown = set(names) - set(MODEL_NAMES)
    if unknown:
        raise ValueError(f"unknown model(s) {sorted(unknown)}; known: {MODEL_NAMES}")
    out = model_dir()
    paths = {name: out / f"{name}.tflite" for name in names}
    missing = [name for name, path in paths.items() if not path.exists()]
    if missing:
        out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--out", str(out), *missing],
            check=True, capture_output=True, timeout=timeout, env=env,
        )
    return paths


# ------------------------------------------------------------------ the architectures (child process only)
def _kws(keras):  # DS-CNN (MLPerf Tiny keyword spotting), 49x10 MFCC input, 12 classes
    layers = keras.layers
    inp = keras.Input((49, 10, 1), batch_size=1)
    x = layers.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(inp)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for _ in range(4):
        x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.Conv2D(64, 1, use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.AveragePooling2D(pool_size=(25, 5))(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, layers.Dense(12, activation="softmax")(x))


def _vww(keras):  # MobileNetV1 alpha 0.25 at 96x96x3, 2 classes
    layers = keras.layers
    inp = keras.Input((96, 96, 3), batch_size=1)
    base = keras.applications.MobileNet(input_tensor=inp, alpha=0.25, weights=None, include_top=False)
    x = layers.GlobalAveragePooling2D()(base.output)
    return keras.Model(inp, layers.Dense(2, activation="softmax")(x))


def _ic(keras):  # ResNet-8 for CIFAR-10 (MLPerf Tiny image classification)
    layers = keras.layers

    def block(x, filters, stride):
        y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
        y = layers.ReLU()(layers.BatchNormalization()(y))
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
        if stride != 1:
            x = layers.Conv2D(filters, 1, strides=stride)(x)
        return layers.ReLU()(layers.Add()([x, y]))

    inp = keras.Input((32, 32, 3), batch_size=1)
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(16, 3, padding="same")(inp)))
    x = block(x, 16, 1)
    x = block(x, 32, 2)
    x = block(x, 64, 2)
    x = layers.Flatten()(layers.AveragePooling2D(pool_size=8)(x))
    return keras.Model(inp, layers.Dense(10, activation="softmax")(x))


def _ad(keras):  # FC autoencoder (MLPerf Tiny anomaly detection), 640 inputs
    layers = keras.layers
    inp = keras.Input((640,), batch_size=1)
    x = inp
    for width in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = layers.ReLU()(layers.BatchNormalization()(layers.Dense(width)(x)))
    return keras.Model(inp, layers.Dense(640)(x))


def _tiny(keras):  # a small conv net for runtime tests: conv, depthwise, pool, dense, softmax
    layers = keras.layers
    inp = keras.Input((16, 16, 3), batch_size=1)
    x = layers.Conv2D(8, 3, activation="relu", padding="same")(inp)
    x = layers.DepthwiseConv2D(3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax")(x))


_BUILDERS = {"kws": _kws, "vww": _vww, "ic": _ic, "ad": _ad, "tiny-int8": _tiny, "tiny-float": _tiny}


def _convert(name: str, out: Path) -> None:
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    keras.utils.set_random_seed(1)
    model = _BUILDERS[name](keras)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if name != "tiny-float":
        shape = [1, *model.input_shape[1:]]
        rng = np.random.default_rng(0)

        def representative():
            for _ in range(8):
                yield [rng.uniform(-1, 1, size=shape).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    data = converter.convert()
    tmp = out / f".{name}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, out / f"{name}.tflite")


# ------------------------------------------------------------------ calibration (parent process, no TF)
def calibration_samples() -> list:
    from toolkit.bench.mcu_estimate import CalibrationSample, op_features
    from toolkit.model import load_model
    from toolkit.model.cost import estimate_cost

    paths = ensure_models(tuple(MLPERF_TINY_V05_REFERENCE_MS))
    samples = []
    for name, measured in MLPERF_TINY_V05_REFERENCE_MS.items():
        model = load_model(paths[name])
        features = tuple(op_features(model, estimate_cost(model)))
        samples.append(CalibrationSample(name, features, measured, 120e6))
    return samples


def calibrate(write: bool) -> str:
    """Fit the two coefficients, report fit and leave-one-out errors; optionally update the TOML."""
    import re

    from toolkit.bench.mcu_estimate import (
        COEFFICIENTS_FILE,
        fit_coefficients,
        leave_one_out,
        load_coefficients,
        relative_error,
    )

    samples = calibration_samples()
    fitted = fit_coefficients(samples, load_coefficients())
    loo = leave_one_out(samples, fitted)
    lines = [f"cycles_per_mac = {fitted.cycles_per_mac:.4g}", f"cycles_per_output = {fitted.cycles_per_output:.4g}"]
    fit_err = {s.name: relative_error(s, fitted) for s in samples}
    for s in samples:
        est = s.measured_ms * (1 + fit_err[s.name])
        lines.append(f"{s.name}: measured {s.measured_ms} ms, estimated {est:.1f} ms, "
                     f"error {fit_err[s.name]:+.1%}, leave-one-out {loo[s.name]:+.1%}")
    summary = (f"fit max |error| {max(map(abs, fit_err.values())):.1%}, leave-one-out max |error| "
               f"{max(map(abs, loo.values())):.1%} (MLPerf Tiny v0.5, 4 models)").replace("%", " %")
    lines.append(summary)
    if write:
        text = COEFFICIENTS_FILE.read_text()
        text = re.sub(r"cycles_per_mac = [0-9.e+-]+", f"cycles_per_mac = {fitted.cycles_per_mac:.4g}", text)
        text = re.sub(r"cycles_per_output = [0-9.e+-]+", f"cycles_per_output = {fitted.cycles_per_output:.4g}", text)
        text = re.sub(r'error_summary = ".*"', f'error_summary = "{summary}"', text)
        COEFFICIENTS_FILE.write_text(text)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--write", action="store_true", help="with --calibrate: update mcu_coefficients.toml")
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(MODEL_NAMES)}")
    args = parser.parse_args(argv)
    if args.calibrate:
        print(calibrate(args.write))
        return 0
    if args.out is None or not args.names or set(args.names) - set(MODEL_NAMES):
        parser.error(f"--out DIR and model names from {MODEL_NAMES} are required (or --calibrate)")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        _convert(name, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
