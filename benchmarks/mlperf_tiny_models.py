"""The four MLPerf Tiny v0.5 architectures, the other published ones the MCU estimate is scored on (TFLM person
detection, MobileNetV3-Small, MCUNet: benchmarks/mcunet_models.py) and a tiny conv net for tests, as int8
.tflite files, cached.

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
from functools import partial
from pathlib import Path

try:
    from benchmarks.mcunet_models import MCUNET_CONFIGS, build_mcunet
except ImportError:  # run as a script (the conversion child): this file's directory is sys.path[0]
    from mcunet_models import MCUNET_CONFIGS, build_mcunet  # type: ignore[no-redef]

MODEL_NAMES = ("kws", "vww", "ic", "ad", "pd", "mnv3s", *MCUNET_CONFIGS, "tiny-int8", "tiny-float")
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


def _pd(keras):  # TFLM person detection: MobileNetV1 alpha 0.25 at 96x96x1 (grayscale), 2 classes
    layers = keras.layers
    inp = keras.Input((96, 96, 1), batch_size=1)
    base = keras.applications.MobileNet(input_tensor=inp, alpha=0.25, weights=None, include_top=False)
    x = layers.GlobalAveragePooling2D()(base.output)
    return keras.Model(inp, layers.Dense(2, activation="softmax")(x))


def _mnv3s(keras):  # MobileNetV3-Small 224x224x3, 1000 classes (ESP-NN's published model-level figure)
    inp = keras.Input((224, 224, 3), batch_size=1)
    return keras.applications.MobileNetV3Small(input_tensor=inp, weights=None, include_preprocessing=False)


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


_BUILDERS = {"kws": _kws, "vww": _vww, "ic": _ic, "ad": _ad, "pd": _pd, "mnv3s": _mnv3s, "tiny-int8": _tiny, "tiny-float": _tiny,
             **{name: partial(build_mcunet, name=name) for name in MCUNET_CONFIGS}}  # fmt: skip


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
def calibration_samples(use: str = "fit") -> list:
    """One CalibrationSample per published latency (benchmarks/mcu_published.py) with ``use`` ("fit"/"validate")."""
    from benchmarks.mcu_published import PUBLISHED
    from toolkit.bench.mcu_calibration import CalibrationSample
    from toolkit.bench.mcu_estimate import op_features
    from toolkit.model import load_model
    from toolkit.model.cost import estimate_cost
    from toolkit.targets import load_registry

    rows = [p for p in PUBLISHED if p.use == use]
    paths = ensure_models(tuple(sorted({p.model for p in rows})))
    features = {}
    for name, path in paths.items():
        model = load_model(path)
        features[name] = tuple(op_features(model, estimate_cost(model)))
    registry = load_registry()
    return [
        CalibrationSample(p.model, features[p.model], p.ms, p.clock_hz, p.board, p.kernel_class,
                          float(registry.get(p.core).cpu.macs_per_cycle), registry.get(p.core).cpu.arch)
        for p in rows
    ]  # fmt: skip


def _coefficients_toml(fits: dict, k) -> str:
    """mcu_coefficients.toml, regenerated whole from the fit (the assumed numbers are carried over)."""
    from toolkit.bench.mcu_calibration import summarise

    out = [
        "# MCU cycle model coefficients (toolkit/bench/mcu_estimate.py), GENERATED by",
        "#   python -m benchmarks.mlperf_tiny_models --calibrate --write",
        "# from the published latencies in benchmarks/mcu_published.py. Method and per-point errors: docs/MCU_ESTIMATE.md.",
        "",
        "[assumed]  # not calibrated: stated assumptions",
        f"cycles_per_byte = {k.cycles_per_byte!r}  # non-MAC ops (add, pooling, softmax, reshape...): bytes moved",
        f"cycles_per_op = {k.cycles_per_op!r}  # interpreter dispatch per operator per invoke",
    ]
    why = {"float32": "  # assumed: single-precision FPU MAC, 4-byte loads, no requantisation per output"}
    for dtype, factors in k.dtype_factors.items():
        out += ["", f"[dtype.{dtype}]{why.get(dtype, '')}", *(f"{key} = {value!r}" for key, value in factors.items())]
    for name, fit in fits.items():
        c = fit.coefficients
        lobo = max(map(abs, fit.held_out.values())) if fit.held_out_kind == "board" else None
        lomo = max(map(abs, fit.held_out.values())) if fit.held_out_kind == "model" else None
        out += ["", f'[class."{name}"]', f"cycles_per_mac = {c.cycles_per_mac:.6g}",
                f"cycles_per_output = {c.cycles_per_output:.6g}",
                f"cycles_per_weight_byte = {c.cycles_per_weight_byte:.6g}", f"macs_per_cycle = {c.macs_per_cycle!r}"]  # fmt: skip
        out += [f"fit_max_error = {max(map(abs, fit.fit.values())):.6f}"] if fit.fit else []
        out += [f'transferred_from = "{fit.transferred_from}"'] if fit.transferred_from else []
        out += [f'status = "{c.status}"']
        out += [f"lobo_max_error = {lobo:.6f}"] if lobo is not None else []
        out += [f"lomo_max_error = {lomo:.6f}"] if lomo is not None else []
        out += [f"boards = [{', '.join(repr(b).replace(chr(39), chr(34)) for b in c.boards)}]",
                f"archs = [{', '.join(repr(b).replace(chr(39), chr(34)) for b in c.archs)}]",
                f'error_summary = "{summarise(fit)}"']  # fmt: skip
    return "\n".join(out) + "\n"


def _row(board: str, model: str, published: float, err: float, held: str) -> str:
    estimated = published * (1 + err)
    return f"  {board[:20]:<20} {model:<10} {published:>9.5g} {estimated:>9.5g} {err:>+7.1%} {held:>12}"


def calibrate(write: bool) -> str:
    """Fit every kernel class, report fit, held-out and validation errors (80 columns); optionally rewrite
    the TOML."""
    import textwrap

    from toolkit.bench.mcu_calibration import fit_all, relative_error, summarise
    from toolkit.bench.mcu_estimate import COEFFICIENTS_FILE, load_coefficients

    stored = load_coefficients()
    validation = calibration_samples("validate")
    fits = fit_all(calibration_samples("fit"), stored, validation)
    fitted = replace_classes(stored, fits)
    head = f"  {'board':<20} {'model':<10} {'published':>9} {'estimated':>9} {'error':>7} {'held out':>12}"
    lines = []
    for name, fit in fits.items():
        c = fit.coefficients
        lines += ["", name, f"  cycles per MAC {c.cycles_per_mac:.4g} (at {c.macs_per_cycle:g} MAC/cycle), per output "
                  f"{c.cycles_per_output:.4g}, per weight B {c.cycles_per_weight_byte:.4g}", head]  # fmt: skip
        for s in (s for s in calibration_samples("fit") if s.kernel_class == name):
            held = fit.held_out.get((s.board, s.name))
            tag = f"{held:+.1%} {fit.held_out_kind[0]}" if held is not None else "-"
            lines.append(_row(s.board, s.name, s.measured_ms, fit.fit[(s.board, s.name)], tag))
        lines += [_row(s.board, s.name, s.measured_ms, relative_error(s, fitted), "never fit")
                  for s in validation if s.kernel_class == name]  # fmt: skip
        lines += textwrap.wrap(summarise(fit), 78, initial_indent="  ", subsequent_indent="    ")
    excluded = calibration_samples("excluded")
    if excluded:
        lines += ["", "excluded (not fitted: benchmarks/mcu_published.py says why), vs the class:", head]
        lines += [_row(s.board, s.name, s.measured_ms, relative_error(s, fitted), s.kernel_class) for s in excluded]
    lines += ["", "ms; held out: b/m = leave-one-board/model-out; never fit = validation"]
    if write:
        COEFFICIENTS_FILE.write_text(_coefficients_toml(fits, stored))
    return "\n".join(lines).lstrip("\n")


def replace_classes(k, fits: dict):
    """``k`` with the class coefficients of ``fits``."""
    from dataclasses import replace

    return replace(k, classes={**k.classes, **{name: fit.coefficients for name, fit in fits.items()}})


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
