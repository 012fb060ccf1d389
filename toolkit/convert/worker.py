"""The TensorFlow side of a conversion, run as ``python -m toolkit.convert.worker REQUEST.json``.

The request holds a list of jobs (one per model) so a batch of conversions pays the TF import once.
It runs in its own process so a TF crash or abort never takes the CLI down, and so the .tflite can be run
by LiteRT/TFLM in other children that never import TF. Protocol: the request names the source, the output
path, the options and where to write the result JSON; progress goes to stderr as ``EDGETK-STAGE <text>``
lines. The worker also writes the seeded (or calibration) inputs and TF's outputs to an .npz so the parent
can check the .tflite numerically without TensorFlow.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

STAGE_PREFIX = "EDGETK-STAGE "
MAX_CALIBRATION_CHECKS = 16  # calibration samples reused by the numerical check (each is one invoke per runtime)
FUSED_STATE_NOTE = (
    "the fused LSTM op keeps its h/c state in variable tensors between invocations (measured): reset them "
    "between independent sequences (LiteRT interpreter.reset_all_variables(), TFLM reset())")


def stage(text: str) -> None:
    print(f"{STAGE_PREFIX}{text}", file=sys.stderr, flush=True)


def _specs(inputs: list[Any]) -> list[Any]:
    import tensorflow as tf

    return [tf.TensorSpec(s.shape, tf.as_dtype(s.dtype), name=s.name) for s in inputs]


def _choose_rnn_form(options: Any, info: Any, request: dict[str, Any], warnings: list[str]) -> str | None:
    if not info.has_rnn:
        return None
    form = options.rnn
    if form == "auto":
        form = request.get("rnn_auto") or "loop"
    if form == "fused" and info.lstm_count == 0:
        warnings.append("no LSTM layer to fuse (GRU/SimpleRNN have no fused TFLite op): kept the WHILE loop")
        return "loop"
    if form == "fused" and info.gru_count:
        warnings.append("GRU has no fused TFLite op: GRU layers stay WHILE loops, LSTM layers are fused")
    return form


def _converter_for(loaded: Any, fixed: list[Any], form: str | None, fixes: list[str]) -> tuple[Any, Any]:
    """(converter, concrete function or None). Never passes the trackable object: that drops weights."""
    import tensorflow as tf

    from toolkit.convert import rnn

    if form == "fused":
        stage("rebuilding LSTM layers as Keras 2 layers (fused UNIDIRECTIONAL_SEQUENCE_LSTM)")
        rebuilt = rnn.rebuild_as_tf_keras(loaded.keras_model, fixed)
        fixes.append("LSTM layers fused into UNIDIRECTIONAL_SEQUENCE_LSTM (Keras 2 rebuild, same weights)")
        return tf.lite.TFLiteConverter.from_keras_model(rebuilt), None
    stage(f"tracing at fixed shapes {[s.shape for s in fixed]}")
    cf = tf.function(loaded.fn).get_concrete_function(*_specs(fixed))
    return tf.lite.TFLiteConverter.from_concrete_functions([cf]), cf


def _reference(loaded: Any, arrays: list[Any]) -> list[Any]:
    """TF's outputs for each sample (the original model, not the rewrite)."""
    import numpy as np
    import tensorflow as tf

    outs: list[list[Any]] = []
    for i in range(arrays[0].shape[0]):
        result = loaded.fn(*[tf.constant(a[i]) for a in arrays])
        flat = tf.nest.flatten(result)
        outs.append([np.asarray(t) for t in flat])
    return [np.stack([o[j] for o in outs]) for j in range(len(outs[0]))]


def _input_ranges(loaded: Any, fixed: list[Any], cf: Any, warnings: list[str]) -> dict[str, Any]:
    """Valid ranges of the integer inputs, read from the traced graph (traced here if the converter did not)."""
    import numpy as np
    import tensorflow as tf

    from toolkit.convert import check_inputs

    if not any(np.issubdtype(np.dtype(s.dtype), np.integer) for s in fixed):
        return {}
    try:
        cf = cf if cf is not None else tf.function(loaded.fn).get_concrete_function(*_specs(fixed))
        return check_inputs.integer_ranges(cf, fixed)
    except Exception as exc:  # noqa: BLE001 - the defaults still apply; say the analysis failed
        warnings.append(f"could not read integer input ranges from the graph ({type(exc).__name__}: {exc})")
        return {}


def _check_arrays(options: Any, fixed: list[Any], calibration: list[Any] | None,
                  ranges: dict[str, Any]) -> tuple[list[Any], str]:
    """(inputs of the numerical check, where they come from): --inputs, else the calibration samples, else
    seeded random values that fit the model (integer ranges read from the graph)."""
    from toolkit.convert import check_inputs, quantize

    if options.inputs:
        return quantize.load_calibration(options.inputs, fixed, flag="--inputs"), f"--inputs {options.inputs}"
    if options.calibration and calibration is not None:
        count = calibration[0].shape[0]
        if count <= MAX_CALIBRATION_CHECKS:
            return calibration, f"--calibration {options.calibration} ({count} samples)"
        return ([a[:MAX_CALIBRATION_CHECKS] for a in calibration],
                f"the first {MAX_CALIBRATION_CHECKS} of {count} --calibration {options.calibration} samples")
    arrays = check_inputs.random_check_inputs(fixed, options.check_samples, options.seed, ranges)
    described = "; ".join(f"{name} in [{r.low}, {r.high}): {r.why}" for name, r in ranges.items())
    return arrays, f"{options.check_samples} seeded random samples (seed {options.seed})" + (
        f"; {described}" if described else "")


def _write_signature(path: str, loaded: Any, fixed: list[Any], cf: Any) -> tuple[list[str], list[str]]:
    """Put the source's signature (key, input names, output keys) into the .tflite: (output keys, notes)."""
    from toolkit.convert import signature

    blob = Path(path).read_bytes()
    structured = getattr(cf, "structured_outputs", None)
    count = len(getattr(cf, "outputs", []) or []) if cf is not None else len(loaded.output_names or [])
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(blob, 0)
    if model.signatureDefs:  # the Keras 2 rebuild (fused RNN) path already writes one
        sig = model.signatureDefs[0]
        keys = [_text(t.name) for t in sig.outputs]
        return keys, [f"signature '{_text(sig.signatureKey)}' (written by the converter): inputs "
                      f"{', '.join(_text(t.name) for t in sig.inputs)}; outputs {', '.join(keys)}"]
    count = len(model.subgraphs[0].outputs) if not count else count
    keys = signature.output_keys(structured, count, loaded.output_names)
    names = [s.name for s in fixed]
    Path(path).write_bytes(signature.add_signature(blob, loaded.signature_key, names, keys))
    return keys, [f"signature '{loaded.signature_key}': inputs {', '.join(names)}; outputs {', '.join(keys)}"]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def convert(request: dict[str, Any]) -> dict[str, Any]:
    from toolkit.convert.options import ConvertOptions

    options = ConvertOptions.from_json(request["options"])
    stage("loading TensorFlow")
    import numpy as np
    import tensorflow  # noqa: F401 - imported here so the "loading TensorFlow" stage is what takes the time

    from toolkit.convert import quantize, rnn
    from toolkit.convert.frontends import pick_frontend

    warnings: list[str] = []
    frontend = pick_frontend(request["source"], options.format)
    stage(f"loading {frontend.name} model")
    loaded = frontend.load(request["source"], options)
    info = rnn.inspect_keras(loaded.keras_model) if loaded.keras_model is not None else rnn.RnnInfo()
    if info.stateful:
        raise _Refused(f"stateful RNN layer(s) {', '.join(info.stateful)}: their state lives in variables that a "
                       "builtin-only .tflite cannot keep; convert a stateless copy (stateful=False, return_state=True) "
                       "and carry the state through explicit inputs/outputs")
    if info.masking:
        warnings.append(f"masking ({', '.join(info.masking)}) adds SELECT (v1) ops, which TFLM lacks")
    fixed, fixes = rnn.fix_input_shapes(loaded.inputs, options.batch, options.seq_len, options.input_shapes,
                                        needs_static=info.has_rnn)
    form = _choose_rnn_form(options, info, request, warnings)
    converter, cf = _converter_for(loaded, fixed, form, fixes)
    if cf is not None:
        info.graph_loops = rnn.graph_loop_ops(cf)
    calibration = quantize.load_calibration(options.calibration, fixed) if options.calibration else None
    ranges = _input_ranges(loaded, fixed, cf, warnings)
    arrays = calibration
    if options.quantize in ("int8", "int16x8") and arrays is None:
        from toolkit.convert.check_inputs import random_check_inputs

        warnings.append(quantize.RANDOM_CALIBRATION_WARNING)
        arrays = random_check_inputs(fixed, 16, options.seed + 1, ranges)
    quantize.apply_quantization(converter, options, arrays)
    stage("converting (MLIR)")
    start = time.perf_counter()
    try:
        blob = converter.convert()
    except Exception as exc:
        if options.quantize in ("int8", "int16x8") and info.has_loops and form != "fused":
            exc.edgetk_note = quantize.CONTROL_FLOW_NOTE
        if cf is not None:
            exc.edgetk_node_frames = _node_frames(cf, exc, request["source"] if frontend.name == "saved_model" else None)
        raise
    seconds = time.perf_counter() - start
    Path(request["output"]).write_bytes(blob)
    if options.quantize in ("int8", "int16x8") and info.has_loops and form != "fused":
        warnings.append(quantize.CONTROL_FLOW_NOTE)
    if form == "fused":
        warnings.append(FUSED_STATE_NOTE)
    output_keys, signature_notes = _write_signature(request["output"], loaded, fixed, cf)
    notes = loaded.notes + signature_notes
    check, check_inputs, reference_error = None, None, None
    if options.verify:
        stage("computing TF reference outputs")
        arrays, check_inputs = _check_arrays(options, fixed, calibration, ranges)
        try:
            refs = _reference(loaded, arrays)
        except Exception as exc:  # noqa: BLE001 - the .tflite is written; the report says why it was not checked
            from toolkit.convert.check_inputs import root_cause

            reference_error = root_cause(exc)
        else:
            check = request["reference_npz"]
            np.savez(check, **{f"in{i}": a for i, a in enumerate(arrays)},
                     **{f"ref{j}": r for j, r in enumerate(refs)})
    return {"ok": True, "frontend": frontend.name, "input_shapes": [s.shape for s in fixed], "fixes": fixes,
            "warnings": warnings, "rnn_form": form, "rnn_layers": info.layers,
            "graph_loops": sorted(info.graph_loops), "convert_seconds": seconds, "reference_npz": check,
            "notes": notes, "check_inputs": check_inputs, "reference_error": reference_error,
            "output_keys": output_keys}


def _node_frames(cf: Any, exc: BaseException, saved_model: str | None = None) -> dict[str, Any]:
    """Creation frames of the TF nodes a converter error names (for errors that carry no file:line)."""
    if type(exc).__name__ != "ConverterError":
        return {}
    try:
        from google.protobuf.json_format import MessageToDict

        from toolkit.convert import graph_trace

        errors = [MessageToDict(e, preserving_proto_field_name=True) for e in getattr(exc, "errors", [])]
        nodes = graph_trace.nodes_in_error(errors, str(exc))
        frames = graph_trace.node_frames(cf, nodes)
        if saved_model:  # the loaded graph's ops have no tracebacks: the saved debug info has them
            frames.update(graph_trace.saved_model_node_frames(saved_model, nodes))
        return frames
    except Exception as lookup_failed:  # noqa: BLE001 - a best-effort hint must never hide the real error
        stage(f"could not look up the failing nodes' source lines: {type(lookup_failed).__name__}: {lookup_failed}")
        return {}


class _Refused(Exception):
    pass


def _failure(exc: BaseException) -> dict[str, Any]:
    from toolkit.errors import ToolkitError

    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]
    base = {"ok": False, "message": str(exc).strip(), "frames": frames, "note": getattr(exc, "edgetk_note", None)}
    if type(exc).__name__ == "ConverterError":
        from google.protobuf.json_format import MessageToDict

        errors = [MessageToDict(e, preserving_proto_field_name=True) for e in getattr(exc, "errors", [])]
        return {**base, "kind": "converter", "errors": errors, "node_frames": getattr(exc, "edgetk_node_frames", {})}
    if isinstance(exc, _Refused | ToolkitError):
        return {**base, "kind": "refused", "error_type": type(exc).__name__}
    if isinstance(exc, ModuleNotFoundError):  # TensorFlow (an extra) missing: the parent names the pip command
        base["missing_module"] = exc.name
    return {**base, "kind": "exception", "error_type": type(exc).__name__}


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    request = json.loads(Path(argv[0]).read_text())
    for job in request["jobs"]:  # several conversions share one TensorFlow import
        stage(f"job {job['source']}")
        try:
            result = convert(job)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as data
            result = _failure(exc)
        Path(job["result"]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
