"""The host side of the device-side runner's protocol: the one place that knows how to run it and read it.

``runner.py`` (beside this file, self-contained, copied to every device) defines the document schema, its
error kinds and the phase markers it writes on stderr. This module is the only host code that knows them:
the runner file and its remote name, its argv, the schema check, ``run_runner`` (put + run through any
transport) and ``classify`` (one ``RunResult`` -> one ``RunnerOutcome``), with ONE table from outcome kind
to exit code. ``bench``, ``check --device`` and ``check --verify`` all go through it, so the same runner
answer means the same thing — and the same exit code — in every verb (docs/EXIT_CODES.md).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from toolkit.child_output import last_json_object, runner_doc_problem
from toolkit.errors import (
    BadInputError,
    DeviceError,
    ExitCode,
    MissingDependencyError,
    RuntimeCrashError,
    ToolkitError,
)
from toolkit.runtimes import runner as _runner
from toolkit.transports.base import RunResult, Transport

RUNNER_PATH = Path(_runner.__file__).resolve()
REMOTE_RUNNER = "edgetk_runner.py"
REMOTE_MODEL = "model.tflite"
REMOTE_BATCH = "batch.zip"
SCHEMA = _runner.SCHEMA  # "edgetk.runner/2" (2 added --batch; a --model document has v1's fields)
SCHEMA_NAME, _, _VERSION = SCHEMA.partition("/")
SCHEMA_VERSION = int(_VERSION)
PHASE_MARKER = re.compile(r"edgetk-runner: phase=([\w-]+)")
MODEL_MARKER = re.compile(r"edgetk-runner: phase=[\w-]+ model=(\S+)")


class Kind(StrEnum):
    """What one runner run came to. The runner's own error kinds, plus what only the host can see."""

    OK = "ok"
    BAD_INPUT = "bad-input"  # the runner refused its arguments or inputs
    MISSING_RUNTIME = "missing-runtime"  # no importable TFLite runtime on the device
    MISSING_MODULE = "missing-module"  # another Python module (numpy) missing: runner "internal" No module named
    MISSING_KERNEL = "missing-kernel"  # the runtime has no kernel for an op of the model
    INIT_FAILED = "init-failed"  # interpreter creation / allocation failed on the model
    INVOKE_FAILED = "invoke-failed"  # the first inference failed
    INTERNAL = "internal"  # the runner itself failed (a bug, or a broken Python on the device)
    CRASHED = "crashed"  # killed by a signal (phase named from the markers)
    NO_RESULT = "no-result"  # exited without a JSON document (not a runner, or killed without a signal)
    SCHEMA_MISMATCH = "schema-mismatch"  # a document from another runner version


#: The one table from outcome kind to exit code, used by every verb that runs the runner.
EXIT_CODES: dict[Kind, ExitCode] = {
    Kind.OK: ExitCode.OK,
    Kind.BAD_INPUT: ExitCode.BAD_INPUT,
    Kind.MISSING_RUNTIME: ExitCode.MISSING_DEPENDENCY,
    Kind.MISSING_MODULE: ExitCode.MISSING_DEPENDENCY,
    Kind.MISSING_KERNEL: ExitCode.RUNTIME_CRASH,
    Kind.INIT_FAILED: ExitCode.RUNTIME_CRASH,
    Kind.INVOKE_FAILED: ExitCode.RUNTIME_CRASH,
    Kind.INTERNAL: ExitCode.RUNTIME_CRASH,
    Kind.CRASHED: ExitCode.RUNTIME_CRASH,
    Kind.NO_RESULT: ExitCode.DEVICE_ERROR,
    Kind.SCHEMA_MISMATCH: ExitCode.DEVICE_ERROR,
}
#: Outcomes that say whether the model runs (an observation); the others say nothing about the model.
MODEL_FATES = frozenset({Kind.OK, Kind.MISSING_KERNEL, Kind.INIT_FAILED, Kind.INVOKE_FAILED, Kind.CRASHED})


class RunnerSettings(Protocol):
    """What the runner's argv is built from: ``RunnerOptions`` or ``toolkit.bench.BenchOptions``."""

    runs: int
    warmup: int
    seed: int
    timeout: float
    threads: int | None
    xnnpack: bool
    arena_bytes: int | None


@dataclass(frozen=True)
class RunnerOptions:
    """One run's settings for verbs that only ask "does it run" (``check --device``, ``check --verify``)."""

    runs: int = 1
    warmup: int = 0
    seed: int = 0
    timeout: float = 600.0
    threads: int | None = None
    xnnpack: bool = True
    arena_bytes: int | None = None


def runner_argv(python: list[str], runner: str, model: str, runtime: str, options: RunnerSettings) -> list[str]:
    argv = [*python, runner, "--model", model, "--runtime", runtime, "--runs", str(options.runs),
            "--warmup", str(options.warmup), "--seed", str(options.seed),
            "--max-seconds", f"{max(options.timeout * 0.5, 1.0):g}"]  # fmt: skip
    if options.threads:
        argv += ["--threads", str(options.threads)]
    if not options.xnnpack:
        argv.append("--no-xnnpack")
    if options.arena_bytes:
        argv += ["--arena-bytes", str(options.arena_bytes)]
    return argv


def run_runner(transport: Transport, model_path: Path, runtime: str, options: RunnerSettings, *,
               inputs: Path | None = None, outputs_npz: str | None = None,
               put_lock: contextlib.AbstractContextManager[Any] | None = None) -> RunResult:
    """Send the runner and the model (content-cached) through an OPEN transport and run it once.

    ``put_lock`` serializes the uploads of concurrent runs sharing one cache; ``outputs_npz`` is the remote
    name the runner writes its inputs/outputs to (fetch it with ``transport.get``). Transport failures
    (unreachable, timeout) propagate as the transport raised them; the answer is for ``classify``."""
    with put_lock or contextlib.nullcontext():
        runner = transport.put(RUNNER_PATH, REMOTE_RUNNER)
        remote_model = transport.put(model_path, REMOTE_MODEL)
        remote_inputs = transport.put(Path(inputs), "inputs.npz") if inputs else None
    argv = runner_argv(transport.python_argv(), runner, remote_model, runtime, options)
    if remote_inputs:
        argv += ["--inputs", remote_inputs]
    if outputs_npz:
        argv += ["--outputs-npz", outputs_npz]
    return transport.run(argv, timeout=options.timeout)


def run_batch(transport: Transport, archive: Path, runtime: str, options: RunnerSettings, *, rounds: int,
              exclude: tuple[str, ...] = ()) -> RunResult:
    """Send the runner and a .zip of models through an OPEN transport and time them all in ONE runner run
    (``--batch``, interleaved in ``rounds``); ``exclude`` leaves models of the archive out (a re-run after
    one of them crashed the process). The answer is for ``classify`` then ``classify_entry`` per model."""
    runner = transport.put(RUNNER_PATH, REMOTE_RUNNER)
    remote = transport.put(archive, REMOTE_BATCH)
    argv = runner_argv(transport.python_argv(), runner, "", runtime, options)
    at = argv.index("--model")
    argv[at:at + 2] = ["--batch", remote, "--rounds", str(rounds)]
    for name in exclude:
        argv += ["--exclude", name]
    return transport.run(argv, timeout=options.timeout)


def last_model(stderr: str) -> str | None:
    """The batch model the runner was working on last (the one that crashed or hung the process)."""
    models = MODEL_MARKER.findall(stderr or "")
    return models[-1] if models else None


def last_phase(stderr: str) -> str | None:
    """The last phase marker the runner wrote (what was running when it died or hung)."""
    phases = PHASE_MARKER.findall(stderr or "")
    return phases[-1] if phases else None


@dataclass(frozen=True)
class RunnerOutcome:
    """One runner run, classified. ``document`` is the runner's JSON when it printed one."""

    kind: Kind
    document: dict[str, Any] | None = None
    message: str = ""
    op: str | None = None
    signal: str | None = None
    phase: str | None = None
    returncode: int = 0

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.kind]

    @property
    def runtime_label(self) -> str | None:
        """"tflite-runtime 2.14.0" as the runner reported it (successful runs only)."""
        rt = (self.document or {}).get("runtime") if self.kind is Kind.OK else None
        return f"{rt.get('name')} {rt.get('version')}" if rt else None

    @property
    def arena_bytes(self) -> int | None:
        """TFLM's measured arena total, when the runtime was TFLM."""
        return ((self.document or {}).get("arena") or {}).get("total_bytes")

    @property
    def is_model_fate(self) -> bool:
        """True when the outcome says whether the model runs there (runs / does not run)."""
        return self.kind in MODEL_FATES

    def error(self, model_name: str, target_name: str) -> ToolkitError:
        """The typed error this outcome is for a verb that needed the run to succeed; its exit code is
        ``exit_code`` (the table above)."""
        where = f"{model_name} on {target_name}"
        kind, message = self.kind, self.message
        if kind is Kind.BAD_INPUT:
            return BadInputError(message)
        if kind is Kind.MISSING_RUNTIME:
            return MissingDependencyError(f"a TFLite runtime on {target_name}", message)
        if kind is Kind.MISSING_MODULE:
            return MissingDependencyError(f"a Python module on {target_name}",
                                          f"{message} (`edgetk devices check NAME` says how to install it)")
        if kind is Kind.CRASHED:
            return RuntimeCrashError(f"the runtime died running {where} during {self.phase or 'start-up'}",
                                     signal_name=self.signal)
        if kind is Kind.MISSING_KERNEL:
            return RuntimeCrashError(f"{where}: the runtime has no kernel for {self.op} ({message}); `edgetk check "
                                     f"{model_name} -t {target_name}` lists every op it lacks, with a fix")
        if kind in (Kind.NO_RESULT, Kind.SCHEMA_MISMATCH):
            return DeviceError(message)
        return RuntimeCrashError(f"{where}: {message}", op=self.op)


def classify(result: RunResult, target_name: str) -> RunnerOutcome:
    """The one interpretation of a runner run: signal, missing document, foreign schema, or its error kind."""
    phase = last_phase(result.stderr)
    if result.signal:
        fatal = next((ln.strip() for ln in result.stderr.splitlines() if ln.startswith("Fatal Python error")), "")
        message = f"killed by {result.signal} during {phase or 'start-up'}" + (f" ({fatal})" if fatal else "")
        return RunnerOutcome(Kind.CRASHED, message=message, signal=result.signal, phase=phase or "start-up",
                             returncode=result.returncode)
    doc = last_json_object(result.stdout)
    if doc is None:
        tail = next((ln for ln in reversed(result.stderr.splitlines()) if ln.strip()), "no output")
        return RunnerOutcome(Kind.NO_RESULT, phase=phase, returncode=result.returncode,
                             message=f"the runner gave no result on {target_name} (exit {result.returncode}): "
                                     f"{tail[:300]}")
    if doc.get("schema") != SCHEMA:
        return RunnerOutcome(Kind.SCHEMA_MISMATCH, doc, returncode=result.returncode,
                             message=f"the runner on {target_name} answered with schema {doc.get('schema')!r}; "
                                     f"this edgetk reads {SCHEMA} (a stale runner copy? re-run to re-upload it)")
    malformed = runner_doc_problem(doc)  # device output is untrusted input: no field of the wrong type
    if malformed:
        return RunnerOutcome(Kind.NO_RESULT, phase=phase, returncode=result.returncode,
                             message=f"the runner on {target_name} printed a malformed result ({malformed})")
    error = doc.get("error")
    if not error:
        return RunnerOutcome(Kind.OK, doc, phase=phase, returncode=result.returncode)
    message = str(error.get("message", ""))
    return RunnerOutcome(error_kind(error), doc, message=message, op=error.get("op"), phase=phase,
                         returncode=result.returncode)


def error_kind(error: dict[str, Any]) -> Kind:
    """The ``Kind`` of a runner error object (a whole run's, or one batch model's)."""
    raw, message = str(error.get("kind", "")), str(error.get("message", ""))
    if raw == "internal" and "No module named" in message:  # e.g. numpy, imported before the runtime
        return Kind.MISSING_MODULE
    return Kind(raw) if raw in Kind._value2member_map_ else Kind.INTERNAL


def classify_entry(entry: dict[str, Any]) -> RunnerOutcome:
    """One model of a batch document (already checked by ``classify``): OK with its entry, or its error."""
    error = entry.get("error")
    if not error:
        return RunnerOutcome(Kind.OK, entry)
    return RunnerOutcome(error_kind(error), entry, message=str(error.get("message", "")), op=error.get("op"))


def hang_error(exc: DeviceError, transport_kind: str, where: str, timeout: float) -> RuntimeCrashError | None:
    """A runner child of THIS machine (local or tflm transport) stopped at ``timeout``: the native runtime
    hung, which is a runtime failure (exit 6), not a device error (exit 4; docs/EXIT_CODES.md). TFLM loops
    forever on a WHILE whose cond and body are one subgraph. None for any other DeviceError."""
    stderr = hung_stderr(exc)
    if transport_kind not in ("local", "tflm") or stderr is None:
        return None
    phase = last_phase(stderr)
    during = f" during {phase}" if phase else ""
    why = ("a model with cyclic control flow can hang TFLM" if transport_kind == "tflm"
           else "a hung runtime, or raise --timeout if one inference really takes this long")  # fmt: skip
    return RuntimeCrashError(f"{where}: the runtime did not finish within {timeout:g}s{during} and was stopped ({why})")


def hung_stderr(exc: DeviceError) -> str | None:
    """The stderr a timed-out run left (its phase markers), or None when ``exc`` is not a timeout."""
    cause = exc.__cause__
    if not isinstance(cause, subprocess.TimeoutExpired):
        return None
    return cause.stderr.decode(errors="replace") if isinstance(cause.stderr, bytes) else cause.stderr or ""
