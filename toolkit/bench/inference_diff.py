"""GPU-vs-CPU numerics on a phone: LiteRT's ``inference_diff`` tool (tools/evaluation/tasks/inference_diff,
``run_eval``) over adb, for ``bench --accelerator gpu`` on a device whose entry names ``inference_diff_binary``.

Phones have no Python, so the runner cannot compare outputs there. inference_diff runs the model twice on the
phone on the same random inputs — a single-threaded CPU reference and a test run with ``--delegate=gpu`` — and
logs (TFLITE_LOG, so a line may carry ``INFO: `` or Android's ``I tflite  : `` prefix):

    Num evaluation runs: 50
    Reference run latency: avg=84364.2(us), std_dev=12525(us)
    Test run latency: avg=7281.64(us), std_dev=2089(us)
    OutputDiff[0]: avg_error=1.96277e-05, std_dev=6.95767e-06

``avg_error`` is the mean absolute elementwise difference between the test and the reference output
(InferenceProfilerStage's CalculateAverageError), averaged over the runs. The verdict uses the tolerance of
``check --verify`` and local ``bench --accelerator gpu`` (toolkit.runtimes.gpu_accelerator): atol + rtol x the
output range. The tool prints neither a maximum nor the output range, so:

* the range is the reference output's max |value| from a host-run LiteRT CPU run of the same model on seeded
  inputs (labelled host-run; when the host cannot run it, atol alone);
* the MEAN error is compared: a mean beyond the tolerance means the maximum is too (a certain FAIL); a mean
  within it is a pass of the mean — single elements can still exceed it, which the verdict says.

The errors and latencies are measured on the phone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolkit.bench.benchmark_model import install_binary
from toolkit.errors import DeviceError, ToolkitError
from toolkit.provenance import HOST_RUN, MEASURED
from toolkit.runtimes.gpu_accelerator import NUMERICS_ATOL, NUMERICS_RTOL
from toolkit.transports.base import Transport

REMOTE_BINARY = "inference_diff"
METHOD = ("inference_diff --delegate=gpu: mean |GPU - CPU| per output on the phone's random inputs, against "
          "atol + rtol x output range")
_NUM = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf)"
_RUNS = re.compile(r"Num evaluation runs: (\d+)")
_LATENCY = re.compile(rf"(Reference|Test) run latency: avg={_NUM}\(us\), std_dev={_NUM}\(us\)")
_DIFF = re.compile(rf"OutputDiff\[(\d+)\]: avg_error={_NUM}, std_dev={_NUM}")


def parse_inference_diff(text: str) -> dict[str, Any]:
    """inference_diff's log -> runs, both latencies (ms) and one {index, avg_error, std_dev} per output. A log
    without the "Num evaluation runs" line is a DeviceError naming the tool's last line."""
    lines = text.splitlines()
    runs = next((int(m.group(1)) for m in map(_RUNS.search, lines) if m), None)
    if runs is None:
        tail = next((ln.strip() for ln in reversed(lines) if ln.strip()), "no output")
        raise DeviceError(f"inference_diff printed no 'Num evaluation runs' line: {tail[:200]}")
    latency = {}
    for match in filter(None, map(_LATENCY.search, lines)):
        latency[match.group(1).lower()] = {"avg_ms": float(match.group(2)) / 1000,
                                           "std_ms": float(match.group(3)) / 1000}
    diffs = [{"index": int(m.group(1)), "avg_error": float(m.group(2)), "std_dev": float(m.group(3))}
             for m in filter(None, map(_DIFF.search, lines))]
    return {"runs": runs, "reference_latency": latency.get("reference"), "test_latency": latency.get("test"),
            "outputs": sorted(diffs, key=lambda d: d["index"])}


def inference_diff_argv(binary: str, model: str, options: Any) -> list[str]:
    """The tool's documented flags: --model_file, --delegate, --num_runs, --num_interpreter_threads."""
    argv = [binary, f"--model_file={model}", "--delegate=gpu", f"--num_runs={options.runs}"]
    if options.threads:
        argv.append(f"--num_interpreter_threads={options.threads}")
    return argv


def install_inference_diff(transport: Transport, binary: str) -> str:
    """The device path of inference_diff (pushed when a host file); BadInputError in one line when missing."""
    return install_binary(transport, binary, key="inference_diff_binary", remote_name=REMOTE_BINARY,
                          tool="inference_diff")


def run_inference_diff(transport: Transport, remote: str, model: Any, options: Any) -> dict[str, Any]:
    """Run inference_diff (installed at ``remote``) on an OPEN transport: its parsed figures with the output
    names, or, when the tool failed, {"error": ...} (the benchmark_model figures of the run are kept either way)."""
    remote_model = transport.put(Path(model.path), "model.tflite")
    argv = inference_diff_argv(remote, remote_model, options)
    result = transport.run(argv, timeout=options.timeout)
    doc: dict[str, Any] = {"tool": {"name": "inference_diff", "binary": remote, "argv": argv[1:]},
                           "method": METHOD, "timing": MEASURED}
    output = result.stdout + "\n" + result.stderr
    tail = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "no output")
    if result.signal or result.returncode != 0:
        how = f"died by {result.signal}" if result.signal else f"exit {result.returncode}"
        return {**doc, "error": f"inference_diff failed ({how}): {tail[:200]}"}
    try:
        parsed = parse_inference_diff(output)
    except DeviceError as exc:
        return {**doc, "error": exc.message}
    names = [model.main_subgraph.tensors[i].name for i in model.main_subgraph.outputs]
    for out in parsed["outputs"]:
        out["name"] = names[out["index"]] if out["index"] < len(names) else f"output {out['index']}"
    if len(parsed["outputs"]) != len(names):
        doc["error"] = f"inference_diff compared {len(parsed['outputs'])} outputs, the model has {len(names)}"
    return {**doc, **parsed}


def _host_ranges(model_path: Path, options: Any) -> tuple[list[float] | None, str]:
    """Max |value| of each output of a host-run LiteRT CPU run on seeded inputs, or (None, why not)."""
    from toolkit.runtimes.protocol import Kind, RunnerOptions, classify, run_runner
    from toolkit.transports.local import LocalTransport

    settings = RunnerOptions(runs=1, warmup=0, seed=options.seed, timeout=min(options.timeout, 300.0))
    try:
        with LocalTransport() as local:
            outcome = classify(run_runner(local, model_path, "litert", settings), "this host")
    except ToolkitError as exc:
        return None, f"host LiteRT CPU did not run: {exc.message}"
    if outcome.kind is not Kind.OK:
        return None, f"host LiteRT CPU did not run: {outcome.error(model_path.name, 'this host').message}"
    outputs = (outcome.document or {}).get("outputs") or []
    return [max(abs(o["min"]), abs(o["max"])) for o in outputs], "host LiteRT CPU, seeded inputs"


def add_reference_range(numerics: dict[str, Any], model_path: Path, options: Any) -> None:
    """Give every compared output its tolerance and verdict (see the module docstring); ``passed`` overall."""
    tol = {"atol": NUMERICS_ATOL, "rtol_of_output_range": NUMERICS_RTOL}
    numerics["tolerance"] = tol
    if numerics.get("error") or not numerics.get("outputs"):
        numerics["passed"] = None
        return
    ranges, source = _host_ranges(model_path, options)
    numerics["output_range"] = {"source": source, "timing": HOST_RUN if ranges is not None else None}
    for out in numerics["outputs"]:
        rng = ranges[out["index"]] if ranges is not None and out["index"] < len(ranges) else None
        out["output_range"] = rng
        out["tolerance"] = NUMERICS_ATOL + NUMERICS_RTOL * (rng or 0.0)
        err = out["avg_error"]
        out["passed"] = err == err and err <= out["tolerance"]  # NaN fails
    numerics["passed"] = all(o["passed"] for o in numerics["outputs"])


def numerics_findings(numerics: dict[str, Any] | None, where: str) -> list[tuple[str, str, str]]:
    """(rule, severity, message): GPU outputs beyond tolerance, or inference_diff not comparing, are errors;
    no inference_diff_binary is an info line (numerics not compared)."""
    if numerics is None:
        return [("gpu-numerics-not-compared", "info", "GPU numerics not compared on the phone: set "
                 "inference_diff_binary = in its devices.toml entry (`edgetk android setup --tool inference_diff`)")]
    if numerics.get("error"):
        return [("gpu-numerics-failed", "error", f"inference_diff on {where}: {numerics['error']}")]
    bad = [o for o in numerics.get("outputs") or [] if not o.get("passed")]
    if bad:
        worst = max(bad, key=lambda o: o["avg_error"] if o["avg_error"] == o["avg_error"] else float("inf"))
        return [("gpu-numerics", "error", f"GPU outputs DIFFER from the CPU on {where}: {len(bad)} of "
                 f"{len(numerics['outputs'])} outputs beyond tolerance (worst '{worst['name']}': mean |diff| "
                 f"{worst['avg_error']:.3g} > {worst['tolerance']:.3g}) (measured, inference_diff)")]
    return []
