"""The old converter (TOCO), run for real in its own cached environment.

TF 2.21 no longer contains TOCO; tensorflow-cpu 2.17.1 is the newest release whose
``experimental_new_converter=False`` runs it. So edgetk keeps an isolated venv with TF 2.17.1 + tf-keras
2.17.0 under the cache dir and runs ``legacy_worker.py`` there as a child process. The main process never
imports TensorFlow for this, and a TOCO failure becomes a ``LegacyResult`` with findings, not a crash:
"TOCO cannot convert this model" is exactly what a comparison against the old converter wants to report.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit import children
from toolkit.child_output import last_json_object
from toolkit.errors import BadInputError, ConversionError, MissingDependencyError
from toolkit.paths import cache_dir

ENV_NAME = "legacy-tf2.17"
LEGACY_PACKAGES = ("tensorflow-cpu==2.17.1", "tf-keras==2.17.0", "numpy<2")
TOCO_PRODUCER = "TOCO Converted."
SETUP_HINT = "run: edgetk legacy setup"
_MARKER = "edgetk-legacy.json"
_WORKER = Path(__file__).with_name("legacy_worker.py")


@dataclass(frozen=True)
class LegacyOptions:
    """What to convert and how. ``input_shapes`` fixes dynamic dims (name -> shape) for SavedModels."""

    signature_key: str | None = None
    optimize_default: bool = False  # tf.lite.Optimize.DEFAULT (dynamic-range quantization)
    allow_custom_ops: bool = False
    timeout_s: float = 600.0


def legacy_options_for(signature: str | None, quantize: str) -> LegacyOptions:
    """The TOCO options matching `edgetk convert` options (same source, same intent), or BadInputError."""
    if quantize not in ("none", "dynamic"):
        raise BadInputError(f"the old converter run (--legacy/--both) supports --quantize none|dynamic, not {quantize}")
    return LegacyOptions(signature_key=signature, optimize_default=quantize == "dynamic")


def legacy_output_for(output: Path) -> Path:
    """Where `edgetk convert --both` writes TOCO's file: next to the MLIR output, named so nobody confuses them."""
    return output.with_name(f"{output.stem}.toco{output.suffix or '.tflite'}")


@dataclass
class LegacyFinding:
    """One reason TOCO refused the model, with the TF ops it would need as custom/Flex ops."""

    kind: str  # "needs-custom-ops" | "needs-flex-ops" | "converter-error"
    message: str
    ops: list[str] = field(default_factory=list)


@dataclass
class LegacyResult:
    """Outcome of one TOCO conversion. ``ok`` False means TOCO refused the model (see ``findings``)."""

    ok: bool
    source: str
    output: str | None
    producer: str | None
    tf_version: str | None
    findings: list[LegacyFinding] = field(default_factory=list)
    log_tail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LegacyEnvStatus:
    path: str
    ready: bool
    tensorflow: str | None = None
    tf_keras: str | None = None
    numpy: str | None = None
    python: str | None = None


def legacy_env_dir() -> Path:
    return cache_dir() / ENV_NAME


def _python(env: Path) -> Path:
    return env / "bin" / "python"


def legacy_env_status() -> LegacyEnvStatus:
    """What is installed, read from the marker written only after a complete setup."""
    env = legacy_env_dir()
    marker = env / _MARKER
    if not marker.is_file() or not _python(env).exists():
        return LegacyEnvStatus(path=str(env), ready=False)
    info = json.loads(marker.read_text())
    return LegacyEnvStatus(path=str(env), ready=True, **{k: info.get(k) for k in ("tensorflow", "tf_keras", "numpy", "python")})


@contextmanager
def _setup_lock() -> Iterator[None]:
    """Serialise setups: tests and the CLI may ask for the env at the same time."""
    lock_path = cache_dir() / f"{ENV_NAME}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_setup_step(argv: list[str], what: str) -> None:
    proc = children.run(argv, timeout=1800, what=f"legacy env {what}")
    if not proc.ok:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        why = proc.why() if proc.timed_out or proc.signal else tail[0]
        raise MissingDependencyError(f"legacy converter environment ({what} failed: {why})", SETUP_HINT)


def setup_legacy_env(*, force: bool = False) -> Path:
    """Create the TF 2.17.1 venv (≈45 s, 1.3 GB) once; later calls return the cached one.

    The venv is built in place (console scripts such as ``toco_from_protos`` hard-code their path) and the
    marker is written last, so an interrupted setup is detected and redone.
    """
    with _setup_lock():
        env = legacy_env_dir()
        if legacy_env_status().ready and not force:
            return env
        if env.exists():
            shutil.rmtree(env)
        base_python = getattr(sys, "_base_executable", None) or sys.executable
        _run_setup_step([base_python, "-m", "venv", str(env)], "venv")
        pip = [str(_python(env)), "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
        _run_setup_step([*pip, *LEGACY_PACKAGES], "pip install")
        probe = (
            "import json,sys,numpy,tensorflow as tf,tf_keras;"
            "print(json.dumps({'tensorflow':tf.__version__,'tf_keras':tf_keras.__version__,"
            "'numpy':numpy.__version__,'python':sys.version.split()[0]}))"
        )
        proc = children.run([str(_python(env)), "-c", probe], timeout=300, what="legacy env probe")
        if not proc.ok:
            raise MissingDependencyError("legacy converter environment (TF 2.17 does not import)", SETUP_HINT)
        info = last_json_object(proc.stdout)
        if info is None:
            raise MissingDependencyError("legacy converter environment (its version probe printed nothing)", SETUP_HINT)
        (env / _MARKER).write_text(json.dumps(info, indent=2))
        return env


def ensure_legacy_env() -> Path:
    """The ready legacy env's directory, or MissingDependencyError telling how to create it."""
    status = legacy_env_status()
    if not status.ready:
        raise MissingDependencyError(f"the old converter (TOCO, TF 2.17) environment at {status.path}", SETUP_HINT)
    return Path(status.path)


_SOURCE_SUFFIXES = (".h5", ".keras", ".py")


def _check_source(source: str) -> None:
    file_part, _, func = source.rpartition(":")
    is_script = file_part.endswith(".py") and func.isidentifier()
    path = Path(file_part if is_script else source)
    if path.suffix == ".py" and not is_script:
        raise BadInputError(f"{path}: a Python source needs a function: {path}:FUNCTION")
    if not path.exists():
        raise BadInputError(f"{path}: no such model source")
    if path.is_dir() and not (path / "saved_model.pb").exists():
        raise BadInputError(f"{path}: a directory but not a SavedModel (no saved_model.pb)")
    if path.is_file() and path.suffix not in _SOURCE_SUFFIXES:
        raise BadInputError(f"{path}: unsupported source (SavedModel dir, .h5, .keras or file.py:function)")


def _child_env(env: Path) -> dict[str, str]:
    """PATH with the env's bin/ first (TOCO execs ``toco_from_protos``) and legacy Keras for tf-keras."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    child["PATH"] = os.pathsep.join([str(env / "bin"), child.get("PATH", "/usr/bin:/bin")])
    child["VIRTUAL_ENV"] = str(env)
    child["TF_USE_LEGACY_KERAS"] = "1"
    child["TF_CPP_MIN_LOG_LEVEL"] = "2"
    child["CUDA_VISIBLE_DEVICES"] = ""
    return child


_CUSTOM_RE = re.compile(r"custom implementations?:\s*([A-Za-z0-9_, .]+)")
_FLEX_RE = re.compile(r"(?:Flex|TF) ops?[^:]*:\s*([A-Za-z0-9_, .]+)")


def parse_toco_failure(text: str) -> list[LegacyFinding]:
    """Turn TOCO's error text into findings naming the ops it wanted (the comparison reports these)."""
    findings: list[LegacyFinding] = []
    for kind, regex in (("needs-custom-ops", _CUSTOM_RE), ("needs-flex-ops", _FLEX_RE)):
        for match in regex.finditer(text):
            ops = sorted({op.strip().rstrip(".") for op in match.group(1).split(",") if op.strip().rstrip(".")})
            if ops and not any(f.kind == kind and f.ops == ops for f in findings):
                what = "custom" if kind == "needs-custom-ops" else "Flex"
                findings.append(LegacyFinding(kind, f"TOCO cannot convert: needs {what} ops {', '.join(ops)}", ops))
    if not findings:
        findings.append(LegacyFinding("converter-error", f"TOCO failed: {_first_error_line(text)[:400]}"))
    return findings


_FATAL_RE = re.compile(r"\] (.*)$")


def _first_error_line(text: str) -> str:
    """TOCO's own fatal log line (``F tensorflow/lite/toco/...] why``) beats Python's generic wrappers."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for line in lines:
        if "F tensorflow/lite/toco/" in line:
            match = _FATAL_RE.search(line)
            if match:
                return match.group(1)
    for line in lines:
        if line.startswith(("Exception:", "ConverterError:", "TypeError:", "ValueError:")) and "console" not in line:
            return line
    return lines[0] if lines else "no output"


def _read_producer(path: Path) -> str | None:
    from toolkit.model import load_model

    return load_model(path).producer


def convert_legacy(source: str | Path, out: str | Path, options: LegacyOptions | None = None) -> LegacyResult:
    """Convert ``source`` with TOCO in the TF 2.17 env (child process) and write ``out``.

    ``source``: SavedModel dir, .h5 / .keras file (tf-keras 2.17 loads both; Keras 3 .keras files it cannot,
    see docs/REPORTS.md) or ``file.py:function`` returning a ``tf.function`` / concrete function (or a
    model) built inside that env. TOCO refusing the model returns ``ok=False`` with findings; a file whose
    producer is not "TOCO Converted." is refused with ConversionError (never mistaken for old output).
    """
    options = options or LegacyOptions()
    source = str(source)
    _check_source(source)
    env = ensure_legacy_env()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")  # the old output stays until this one is good
    try:
        result = _convert_into(source, out, partial, env, options)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _convert_into(source: str, out: Path, partial: Path, env: Path, options: LegacyOptions) -> LegacyResult:
    request = {"source": source, "out": str(partial), **asdict(options)}
    argv = [str(_python(env)), str(_WORKER), json.dumps(request)]
    proc = children.run(argv, timeout=options.timeout_s, what="the legacy converter", env=_child_env(env))
    if proc.timed_out:
        raise ConversionError(f"{source}: TOCO did not finish within {options.timeout_s:.0f} s")
    reply = _parse_worker_reply(proc.stdout)
    tail = "\n".join((proc.stderr or "").strip().splitlines()[-20:])
    if reply is None:
        raise ConversionError(f"{source}: legacy converter child exited {proc.returncode} without a result: {tail[-300:]}")
    if not reply.get("ok"):
        return LegacyResult(False, source, None, None, reply.get("tf_version"), parse_toco_failure(reply.get("error", "")), tail)
    producer = _read_producer(partial)
    if producer != TOCO_PRODUCER:
        raise ConversionError(f"{source}: legacy conversion produced '{producer}', not '{TOCO_PRODUCER}'; refusing it")
    os.replace(partial, out)
    return LegacyResult(True, source, str(out), producer, reply.get("tf_version"), [], tail)


def _parse_worker_reply(stdout: str) -> dict | None:
    """The worker prints one JSON line prefixed with a tag (TF may print its own lines to stdout)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("EDGETK_LEGACY_RESULT "):
            return json.loads(line.split(" ", 1)[1])
    return None
