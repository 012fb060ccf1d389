"""``convert_model``: the library function behind `edgetk convert`. Never imports TensorFlow itself.

The TF work runs in ``toolkit.convert.worker`` (a child), the numerical check runs the .tflite in LiteRT
(and optionally TFLM) in further children, the output is refused if it lost its weights or needs Flex/custom
ops, and the target verdicts come from ``toolkit.targets.check_model``.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit import children, fileio
from toolkit.child_output import last_json_object
from toolkit.convert import error_trace, verdict
from toolkit.convert.frontends import check_graphdef_options, pick_frontend
from toolkit.convert.options import (
    QUANTIZE_MODES,
    RNN_MODES,
    ConversionReport,
    ConvertOptions,
    OutputError,
    RuntimeCheck,
)
from toolkit.convert.postcheck import refuse_unsafe_ops
from toolkit.errors import BadInputError, ConversionError, missing_dependency

Progress = Callable[[str], None]
CHECK_RUNTIMES = ("litert", "litert-no-xnnpack", "tflite-runtime", "tflm")


class ConverterFailed(ConversionError):
    """A conversion failed; ``details`` is the block printed under the one red line, ``traced`` the data."""

    def __init__(self, message: str, details: str = "", traced: list[error_trace.TracedError] | None = None,
                 note: str | None = None) -> None:
        super().__init__(message)
        self.details = details
        self.traced = traced or []
        self.note = note

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, "note": self.note, "errors": [t.to_json() for t in self.traced]}


def _validate(source: str, options: ConvertOptions) -> None:
    if options.rnn not in RNN_MODES:
        raise BadInputError(f"--rnn must be one of {', '.join(RNN_MODES)}, not '{options.rnn}'")
    if options.quantize not in QUANTIZE_MODES:
        raise BadInputError(f"--quantize must be one of {', '.join(QUANTIZE_MODES)}, not '{options.quantize}'")
    if options.batch < 1:
        raise BadInputError("--batch must be at least 1")
    from toolkit.bench.inputs_file import check_inputs_file

    for option, path in (("--calibration", options.calibration), ("--inputs", options.inputs)):
        if path:  # here, before TensorFlow starts: a missing, non-.npz or non-numeric file is one line naming it
            check_inputs_file(Path(path), option)
    if options.tolerance is not None and not options.tolerance > 0:
        raise BadInputError(f"--tolerance must be a positive relative error (e.g. 0.05), not {options.tolerance}")
    if pick_frontend(source, options.format).name == "graphdef":
        check_graphdef_options(source, options)


FULL_INTEGER_MODES = ("int8", "int16x8")


def resolve_rnn_auto(targets: tuple[str, ...], quantize: str = "none") -> tuple[str, str]:
    """(form, why) for --rnn auto.

    Full-integer quantization forces the fused op: TF 2.21's converter segfaults quantizing the WHILE-loop
    LSTM, only UNIDIRECTIONAL_SEQUENCE_LSTM quantizes. Otherwise each target's measured ``rnn.prefer``
    decides (fused if any target prefers it); targets without one fall back by runtime: fused for
    tflite-runtime and TFLM, loop for LiteRT+XNNPACK (docs/PERFORMANCE.md P5).
    """
    if quantize in FULL_INTEGER_MODES:
        return "fused", (f"--rnn auto → fused (--quantize {quantize}: only the fused LSTM op can be "
                         "full-integer quantized; TF 2.21 segfaults on the WHILE-loop form)")
    if not targets:
        return "loop", "--rnn auto without --target: WHILE loop (fastest on LiteRT+XNNPACK hosts)"
    from toolkit.targets import load_registry

    registry = load_registry()
    prefs = []
    for name in targets:
        desc = registry.get(name)
        if desc.rnn.prefer:
            prefs.append((desc.rnn.prefer, f"{name} prefers {desc.rnn.prefer}"))
        elif desc.runtime.name in ("tflm", "tflite-runtime"):
            prefs.append(("fused", f"{name} runs {desc.runtime.name}: fused"))
        else:
            prefs.append(("loop", f"{name} runs LiteRT+XNNPACK: loop"))
    form = "fused" if any(p == "fused" for p, _ in prefs) else "loop"
    return form, "--rnn auto → " + form + " (" + "; ".join(w for _, w in prefs) + ")"


def _env_seconds(name: str, default: float) -> float:
    """A timeout from the environment: a positive finite number of seconds, else a one-line error."""
    import math

    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise BadInputError(f"{name}={raw!r}: must be a positive number of seconds")
    return value


def _run_worker(jobs: list[dict[str, Any]], req_path: Path, progress: Progress) -> list[dict[str, Any]]:
    """Run the worker on a list of jobs; a job without a result (the worker died) becomes a failure."""
    req_path.write_text(json.dumps({"jobs": jobs}))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    tail: collections.deque[str] = collections.deque(maxlen=20)

    def on_line(line: str) -> None:
        if line.startswith("EDGETK-STAGE "):
            progress(line[len("EDGETK-STAGE "):].strip())
        elif line.strip():
            tail.append(line.rstrip())

    limit = _env_seconds("EDGETK_CONVERT_TIMEOUT", 3600)
    child = children.run([sys.executable, "-m", "toolkit.convert.worker", str(req_path)], timeout=limit,
                         what="the TensorFlow converter", env=env, on_stderr_line=on_line)
    code = child.returncode
    why = (f"stopped after {limit:g} s (EDGETK_CONVERT_TIMEOUT)" if child.timed_out
           else f"killed by {child.signal}" if child.signal else f"exit code {code}")
    results: list[dict[str, Any]] = []
    for job in jobs:
        path = Path(job["result"])
        if path.exists():
            results.append(json.loads(path.read_text()))
            continue
        if any(r.get("kind") == "died" for r in results):
            results.append({"ok": False, "kind": "died", "message": "not converted: the converter process died "
                            "on an earlier model of this batch"})
            continue
        message = f"the converter process died ({why})"
        if code >= 0 and tail:
            message += f": {tail[-1]}"
        options = job["options"]
        if options["quantize"] in ("int8", "int16x8") and options["rnn"] != "fused":
            message += (" — TF 2.21's converter segfaults on full-integer quantization of WHILE-loop LSTMs; "
                        "use --rnn fused (the fused LSTM op quantizes)")
        results.append({"ok": False, "kind": "died", "message": message})
    return results


def _raise_failure(result: dict[str, Any]) -> None:
    note = result.get("note")
    missing = missing_dependency(result.get("missing_module"))
    if missing is not None:
        raise missing
    if result["kind"] == "converter":
        traced = error_trace.trace_converter_error(result.get("errors", []), result["message"],
                                                   node_frames=result.get("node_frames"))
    elif result.get("error_type") == "BadInputError":  # the worker found the input wrong (e.g. unknown node)
        raise BadInputError(result["message"].splitlines()[0])
    elif result["kind"] in ("refused", "died"):
        raise ConverterFailed(result["message"].splitlines()[0], note=note)
    else:
        text = result["message"].splitlines()[0] if result["message"] else result.get("error_type", "error")
        traced = [error_trace.trace_python_exception(f"{result.get('error_type')}: {text}", result["frames"])]
    details = error_trace.render(traced)
    if note:
        details += f"\n  note: {note}"
    raise ConverterFailed(error_trace.one_line(traced[0]), details, traced, note)


def _numeric_check(out: Path, data: str, runtime: str, keys: list[str]) -> RuntimeCheck:
    argv = [sys.executable, "-m", "toolkit.convert.numcheck", str(out), data, "--runtime", runtime]
    limit = _env_seconds("EDGETK_NUMCHECK_TIMEOUT", 60)
    proc = children.run(argv, timeout=limit, what=f"the {runtime} numerical check")
    if proc.timed_out:  # seen: TFLM spinning forever in a seq2seq WHILE loop
        return RuntimeCheck(runtime=runtime, ok=False, error=f"no result within {limit:g} s (hung)")
    if proc.returncode != 0:
        why = f"killed by {proc.signal}" if proc.signal else proc.stderr.strip()[-200:]
        return RuntimeCheck(runtime=runtime, ok=False, error=why)
    doc = last_json_object(proc.stdout)
    if doc is None:
        return RuntimeCheck(runtime=runtime, ok=False, error=f"no result printed ({proc.stderr.strip()[-200:]})")
    outputs = tuple(OutputError(**{**o, "name": _output_name(o["name"], keys)}) for o in doc.get("outputs", []))
    return RuntimeCheck(runtime=runtime, ok=doc["ok"], outputs=outputs, error=doc.get("error"))


def _output_name(name: str, keys: list[str]) -> str:
    """numcheck's "output_J" (J = TF output index) as the signature's output key."""
    index = name.rpartition("_")[2]
    return keys[int(index)] if index.isdigit() and int(index) < len(keys) else name


def _target_verdicts(out: Path, targets: tuple[str, ...]) -> list[dict[str, Any]]:
    if not targets:
        return []
    from toolkit.documents import dump
    from toolkit.model import load_model
    from toolkit.targets import check_model
    from toolkit.targets.documents import CheckFinding

    with load_model(out) as model:
        report = check_model(model, list(targets))
    return [{"target": r.target, "verdict": r.verdict, "runtime": r.runtime,
             "findings": [f.message for f in r.findings], "finding_details": [dump(CheckFinding.of(f)) for f in r.findings]}
            for r in report.results]


def convert_model(source: str | Path, out: str | Path, options: ConvertOptions = ConvertOptions(),
                  *, check_runtimes: tuple[str, ...] = ("litert",), progress: Progress | None = None
                  ) -> ConversionReport:
    """Convert ``source`` to ``out`` (.tflite) and return the conversion report.

    Raises ConverterFailed (exit 5) with the user's file:line first when the converter rejects the model,
    ConversionError when the output would be wrong (weight loss) or needs Flex/custom ops not opted into.
    """
    result = convert_many([(source, out, options)], check_runtimes=check_runtimes, progress=progress)[0]
    if isinstance(result, Exception):
        raise result
    return result


def convert_many(items: list[tuple[str | Path, str | Path, ConvertOptions]], *,
                 check_runtimes: tuple[str, ...] = ("litert",), progress: Progress | None = None
                 ) -> list[ConversionReport | ConversionError | BadInputError]:
    """Convert several models with ONE TensorFlow process; each entry is a report or the error it raised."""
    started = time.perf_counter()
    progress = progress or (lambda _text: None)
    unknown = [r for r in check_runtimes if r not in CHECK_RUNTIMES]
    if unknown:
        raise BadInputError(f"unknown check runtime(s) {', '.join(unknown)} (known: {', '.join(CHECK_RUNTIMES)})")
    with tempfile.TemporaryDirectory(prefix="edgetk-convert-") as tmp:
        jobs, extras = [], []
        for i, (source, _out, options) in enumerate(items):
            _validate(str(source), options)
            job: dict[str, Any] = {"source": str(source), "options": options.to_json(),
                                   "output": f"{tmp}/model{i}.tflite", "result": f"{tmp}/result{i}.json",
                                   "reference_npz": f"{tmp}/reference{i}.npz"}
            extra = []
            if options.rnn == "auto":
                job["rnn_auto"], why = resolve_rnn_auto(options.targets, options.quantize)
                extra.append(why)
            jobs.append(job)
            extras.append(extra)
        results = _run_worker(jobs, Path(tmp) / "request.json", progress)
        reports: list[ConversionReport | ConversionError | BadInputError] = []
        for (source, out, options), job, result, extra in zip(items, jobs, results, extras, strict=True):
            try:
                reports.append(_finish(str(source), Path(out), options, job, result, extra, check_runtimes, progress))
            except (ConversionError, BadInputError) as exc:
                reports.append(exc)
    if len(items) == 1 and isinstance(reports[0], ConversionReport):
        reports[0].total_seconds = round(time.perf_counter() - started, 3)
    return reports


def _finish(source: str, out: Path, options: ConvertOptions, job: dict[str, Any], result: dict[str, Any],
            extra_fixes: list[str], check_runtimes: tuple[str, ...], progress: Progress) -> ConversionReport:
    """Refuse unsafe outputs, move the .tflite into place, check numerics and targets, build the report."""
    if not result["ok"]:
        _raise_failure(result)
    progress("checking the converted ops")
    summary = refuse_unsafe_ops(Path(job["output"]), allow_flex=options.allow_flex,
                                allow_custom=options.allow_custom,
                                allow_resource_variables=options.allow_resource_variables)
    fileio.copy_file(job["output"], out)  # atomic: a failed copy never leaves half a .tflite where one was
    checks = []
    if result.get("reference_npz"):
        for runtime in check_runtimes:
            progress(f"running the .tflite in {runtime} against TF")
            checks.append(_numeric_check(out, result["reference_npz"], runtime, result.get("output_keys") or []))
    targets = verdict.reconcile_targets(_target_verdicts(out, options.targets), checks)
    numerics = verdict.numerics_verdict(checks, options.quantize, options.tolerance, verify=options.verify,
                                        reference_error=result.get("reference_error"),
                                        check_inputs=result.get("check_inputs"))
    litert = next((c for c in checks if c.runtime.startswith("litert") and c.ok), None)
    return ConversionReport(
        source=source, output=str(out), frontend=result["frontend"], ops=summary.counts,
        size_bytes=out.stat().st_size, builtin_only=summary.builtin_only,
        convert_seconds=round(result["convert_seconds"], 3), total_seconds=0.0,
        input_shapes=result["input_shapes"], rnn_form=result["rnn_form"], quantize=options.quantize,
        fixes=result["fixes"] + (extra_fixes if result["rnn_form"] else []),
        warnings=result["warnings"], notes=result.get("notes", []), numerics=checks, numerics_verdict=numerics,
        quantization_error=list(litert.outputs) if litert and options.quantize != "none" else [],
        targets=targets)
