"""Quantization settings and calibration data. Runs inside the worker (the converter object is TF's).

Calibration comes from ``--calibration data.npz`` (one array per input, by input name or arr_i, first axis
= samples). Without it int8/int16x8 calibrate on random inputs, which gives scales that match no real
data: the worker emits a loud warning that the report carries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.convert.frontends import InputSpec
from toolkit.convert.options import ConvertOptions
from toolkit.errors import BadInputError
from toolkit.text import inert

RANDOM_CALIBRATION_WARNING = (
    "QUANTIZED WITH RANDOM CALIBRATION DATA: scales fit random inputs, not your data; accuracy on real "
    "inputs is unknown. Pass --calibration data.npz")
CONTROL_FLOW_NOTE = (
    "quantization and control flow: full-integer quantization of WHILE-loop models is fragile in TF 2.21 "
    "(a WHILE-loop LSTM segfaults the converter); for MCU int8 LSTMs use --rnn fused")


def load_calibration(path: str, inputs: list[InputSpec], flag: str = "--calibration") -> list[np.ndarray]:
    """Arrays from an .npz, matched to inputs by name, else by arr_i / position; shapes are checked."""
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: {flag} needs an .npz file ({type(exc).__name__}: {exc})") from exc
    with data:
        keys = list(data.keys())
        arrays = []
        for i, spec in enumerate(inputs):
            key = spec.name if spec.name in keys else f"arr_{i}" if f"arr_{i}" in keys else (
                keys[i] if i < len(keys) else None)
            if key is None:
                raise BadInputError(f"{flag} {inert(str(path))}: no array for input '{inert(spec.name)}' "
                                    f"(arrays: {inert(', '.join(keys)) or 'none'})")
            arr = np.asarray(data[key])
            if list(arr.shape[1:]) != [d for d in spec.shape]:
                if arr.shape[1:] == tuple(spec.shape[1:]):  # samples given without the batch axis
                    arr = arr.reshape((arr.shape[0], *spec.shape))
                else:
                    raise BadInputError(f"{flag} {inert(str(path))}: array '{inert(key)}' for input "
                                        f"'{inert(spec.name)}' has shape {list(arr.shape)}, the model wants "
                                        f"[samples, {', '.join(map(str, spec.shape))}]")
            arrays.append(arr.astype(spec.dtype))
    if len({a.shape[0] for a in arrays}) > 1:
        raise BadInputError(f"{path}: {flag} arrays have different sample counts "
                            f"({', '.join(str(a.shape[0]) for a in arrays)}); give each input the same number")
    return arrays


def apply_quantization(converter: Any, options: ConvertOptions, calibration: list[np.ndarray] | None) -> None:
    """Set optimizations, representative dataset, supported ops and I/O types on a TFLiteConverter."""
    import tensorflow as tf

    mode = options.quantize
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if mode != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if mode in ("int8", "int16x8"):
        assert calibration is not None
        samples = calibration[0].shape[0]

        def dataset() -> Any:
            for i in range(samples):
                yield [arr[i] for arr in calibration]

        converter.representative_dataset = dataset
        if mode == "int8":
            ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            io_type = tf.int8
        else:
            ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            io_type = tf.int16
        if options.integer_io:
            converter.inference_input_type = io_type
            converter.inference_output_type = io_type
    if options.allow_flex:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    if options.allow_custom:
        converter.allow_custom_ops = True
    converter.target_spec.supported_ops = ops
