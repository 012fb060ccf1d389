"""One runner outcome, one meaning: `bench` and `check --device` classify the same run the same way.

Most runs are real: the device-side runner in a child process through the local transport, on models built
with the schema (a custom op LiteRT lacks, a float16 DEQUANTIZE TFLM rejects at allocation), on a Python
without site-packages (no numpy), with a runtime blocked in sys.modules (a machine without the package), a
process that really dies by SIGSEGV, one that prints nothing. Two the runner cannot be made to produce on
purpose (invoke-failed, internal) and a document from another runner version are its own JSON format.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from toolkit.bench.orchestrate import parse_runner_output
from toolkit.devices.on_device import DOES_NOT_RUN, RUNS, observe
from toolkit.errors import ExitCode, ToolkitError
from toolkit.runtimes.protocol import EXIT_CODES, MODEL_FATES, RUNNER_PATH, SCHEMA, Kind, classify
from toolkit.transports.base import RunResult
from toolkit.transports.local import LocalTransport

BLOCKED = ("import runpy, sys; sys.modules[{module!r}] = None; sys.argv = ['runner.py', *sys.argv[1:]]; "
           f"runpy.run_path({str(RUNNER_PATH)!r}, run_name='__main__')")
CRASH = ("import faulthandler, os, signal, sys; faulthandler.enable(); "
         "sys.stderr.write('edgetk-runner: phase=import\\nedgetk-runner: phase=init\\n'); sys.stderr.flush(); "
         "os.kill(os.getpid(), signal.SIGSEGV)")


def _printing(doc: dict) -> list[str]:
    return [sys.executable, "-c", f"import json, sys; print(json.dumps({doc!r})); sys.exit(4)"]


def _argv(kind: Kind, models: dict[str, Path]) -> list[str]:
    runner = [sys.executable, str(RUNNER_PATH)]
    one = ["--runs", "1", "--warmup", "0"]
    return {
        Kind.OK: [*runner, "--model", str(models["relu"]), "--runtime", "litert", *one],
        Kind.BAD_INPUT: [*runner, "--model", str(models["relu"]), "--runs", "0"],
        Kind.MISSING_RUNTIME: [sys.executable, "-c", BLOCKED.format(module="tflite_micro"),
                               "--model", str(models["relu"]), "--runtime", "tflm", *one],
        Kind.MISSING_MODULE: [sys.executable, "-S", "-I", str(RUNNER_PATH), "--model", str(models["relu"]), *one],
        Kind.MISSING_KERNEL: [*runner, "--model", str(models["custom"]), "--runtime", "litert", *one],
        Kind.INIT_FAILED: [*runner, "--model", str(models["f16"]), "--runtime", "tflm", *one],
        Kind.INVOKE_FAILED: _printing({"schema": SCHEMA, "error": {"kind": "invoke-failed", "op": "CONV_2D",
                                       "message": "Node number 0 (CONV_2D) failed to invoke."}}),
        Kind.INTERNAL: _printing({"schema": SCHEMA, "error": {"kind": "internal", "message": "ValueError: x"}}),
        Kind.CRASHED: [sys.executable, "-c", CRASH],
        Kind.NO_RESULT: [sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"],
        Kind.SCHEMA_MISMATCH: _printing({"schema": "edgetk.runner/99", "latency_ms": {}}),
    }[kind]


def _run(argv: list[str]) -> RunResult:
    with LocalTransport() as transport:
        return transport.run(argv, timeout=120)


def test_every_kind_has_one_exit_code() -> None:
    assert set(EXIT_CODES) == set(Kind)
    assert EXIT_CODES[Kind.OK] == ExitCode.OK


@pytest.mark.parametrize("kind", list(Kind), ids=str)
def test_bench_and_check_device_agree_on_each_outcome(kind: Kind, models: dict[str, Path]) -> None:
    result = _run(_argv(kind, models))
    outcome = classify(result, "host-x86_64")
    assert outcome.kind is kind, (result.stdout[-300:], result.stderr[-300:])
    expected = EXIT_CODES[kind]

    # bench: the run succeeds (exit 0) or raises the error whose exit code is the table's
    if kind is Kind.OK:
        assert parse_runner_output(result, "m.tflite", "host-x86_64")["latency_ms"]
        bench_code = ExitCode.OK
    else:
        with pytest.raises(ToolkitError) as raised:
            parse_runner_output(result, "m.tflite", "host-x86_64")
        bench_code = raised.value.exit_code
    assert bench_code == expected

    # check --device: an observation when the outcome is about the model (exit 1 when it does not run, by
    # check's own contract), otherwise the same error, hence the same exit code, as bench
    if kind in MODEL_FATES:
        observed = observe(result, "host-x86_64", "litert")
        assert observed.verdict == (RUNS if kind is Kind.OK else DOES_NOT_RUN)
        if kind is not Kind.OK:
            assert observed.kind == str(kind) and observed.message
    else:
        with pytest.raises(ToolkitError) as raised:
            observe(result, "host-x86_64", "litert")
        assert raised.value.exit_code == bench_code == expected


def test_the_issue_cases_now_agree(models: dict[str, Path]) -> None:
    """Before: runner bad-input was exit 2 in bench and 4 (not-checked) in check --device; "No module named"
    was 6 in bench and 3 in check --device."""
    bad = classify(_run(_argv(Kind.BAD_INPUT, models)), "t")
    assert bad.exit_code == ExitCode.BAD_INPUT == bad.error("m", "t").exit_code
    bare = classify(_run(_argv(Kind.MISSING_MODULE, models)), "t")
    assert bare.exit_code == ExitCode.MISSING_DEPENDENCY == bare.error("m", "t").exit_code
    assert "No module named 'numpy'" in bare.message


def test_a_missing_kernel_error_is_one_line_that_points_at_the_fix(models: dict[str, Path]) -> None:
    """`bench sel.tflite -t cortex-m4` said only "the runtime has no kernel for CUSTOM (...)": no fix."""
    missing = classify(_run(_argv(Kind.MISSING_KERNEL, models)), "host-x86_64")
    message = str(missing.error("m.tflite", "host-x86_64"))
    assert message.startswith("m.tflite on host-x86_64: the runtime has no kernel for ") and "\n" not in message
    assert message.endswith("; `edgetk check m.tflite -t host-x86_64` lists every op it lacks, with a fix")


def test_a_foreign_schema_is_refused_by_name() -> None:
    result = RunResult(("r",), 0, json.dumps({"schema": "edgetk.runner/99"}), "", 0.1)
    outcome = classify(result, "pi")
    assert outcome.kind is Kind.SCHEMA_MISMATCH
    assert "edgetk.runner/99" in outcome.message and SCHEMA in outcome.message
