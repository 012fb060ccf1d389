"""One exception root for every expected failure.

Each subclass builds its message from typed fields and carries the process exit code the CLI uses, so
the mapping from failure to exit code lives here and in ``toolkit.cli.main`` only. The codes are
documented in docs/EXIT_CODES.md.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    VERDICT_FAILED = 1  # check: a target cannot run the model; compare: a regression
    BAD_INPUT = 2  # usage error, malformed model, invalid descriptor/inventory, unknown name
    MISSING_DEPENDENCY = 3  # optional package, emulator image, legacy environment or system tool missing
    DEVICE_ERROR = 4  # transport failure: unreachable, auth, host key, remote failure
    CONVERSION_FAILED = 5
    RUNTIME_CRASH = 6  # the native runtime failed or died (signal) in its child process
    NOT_STORED = 7  # bench: the result is complete and printed, but the results database could not store it
    NUMERICS_FAILED = 8  # convert: the .tflite was written but its numerics verdict is not a pass
    INTERNAL = 70
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM


class ToolkitError(Exception):
    """Root of expected failures: printed as one line, exits with ``exit_code``."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class BadInputError(ToolkitError):
    exit_code = ExitCode.BAD_INPUT


class MalformedModelError(BadInputError):
    """The file is not a .tflite model. ``message`` replaces the default wording when the cause is known
    (no such file, a SavedModel or Keras file that needs `edgetk convert` first)."""

    def __init__(self, path: object, detail: str, *, message: str | None = None) -> None:
        super().__init__(message or f"{path}: not a valid .tflite model ({detail})")
        self.path = path
        self.detail = detail


class DescriptorError(BadInputError):
    """A target descriptor or device inventory file is invalid; names the file and the key."""

    def __init__(self, file: object, key: str | None, detail: str) -> None:
        where = f"{file}" + (f": {key}" if key else "")
        super().__init__(f"{where}: {detail}")
        self.file = file
        self.key = key
        self.detail = detail


def did_you_mean(name: str, known: list[str], *, prefixes: bool = True) -> list[str]:
    """Known names close to a typo: 'rpi4' -> ['rpi4-arm64']; with ``prefixes`` a known name that starts
    with the typo counts too ('cortex' -> both cortex-m*)."""
    import difflib

    prefixed = [k for k in known if prefixes and name and k.lower().startswith(name.lower())]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    return list(dict.fromkeys([*prefixed, *close]))[:3]


class UnknownNameError(BadInputError):
    """An unknown target/device/function name: says which names are close and which exist; ``when_empty``
    is the fix when nothing of the kind exists yet (e.g. `edgetk devices add`)."""

    def __init__(self, kind: str, name: str, known: list[str], *, when_empty: str | None = None) -> None:
        near = did_you_mean(name, known)
        choices = ", ".join(sorted(known)) or "none"
        if not known and when_empty:
            tail = f"none are defined: {when_empty}"
        elif near:
            tail = f"did you mean {' or '.join(near)}? known: {choices}"
        else:
            tail = f"known: {choices}"
        super().__init__(f"unknown {kind} '{name}' ({tail})")
        self.kind = kind
        self.name = name
        self.known = known
        self.suggestions = near


class MissingDependencyError(ToolkitError):
    exit_code = ExitCode.MISSING_DEPENDENCY

    def __init__(self, what: str, install_hint: str) -> None:
        super().__init__(f"{what} is not available: {install_hint}", hint=install_hint)
        self.what = what
        self.install_hint = install_hint


# Importable top-level module -> the `pip install` that provides it (the extras are in pyproject.toml).
INSTALL_HINTS: dict[str, str] = {
    "ai_edge_litert": "pip install ai-edge-litert==2.3.0",
    "tflite_runtime": "pip install 'edgetk[tflite-runtime]'",
    "tflite_micro": "pip install 'edgetk[tflm]'",
    "tensorflow": "pip install 'edgetk[convert]'",
    "tf_keras": "pip install 'edgetk[convert]'",
}


def install_hint(module: str) -> str:
    return INSTALL_HINTS.get(module, f"pip install {module}")


def missing_dependency(module: str | None) -> MissingDependencyError | None:
    """The typed error for an optional runtime/converter package (ModuleNotFoundError.name) that failed to
    import, else None (any other missing module is a bug or the user's own code)."""
    top = (module or "").partition(".")[0]
    if top not in INSTALL_HINTS:
        return None
    return MissingDependencyError(f"the Python package {top}", INSTALL_HINTS[top])


class DeviceError(ToolkitError):
    exit_code = ExitCode.DEVICE_ERROR


class EmulatorImageError(ToolkitError):
    """Building an emulator image failed; names the image, the step and where the build log is."""

    exit_code = ExitCode.MISSING_DEPENDENCY

    def __init__(self, image: str, step: str, detail: str) -> None:
        super().__init__(f"building emulator image {image} failed at {step}: {detail}")
        self.image = image
        self.step = step
        self.detail = detail


class HostKeyError(DeviceError):
    pass


class ConversionError(ToolkitError):
    exit_code = ExitCode.CONVERSION_FAILED


class RuntimeCrashError(ToolkitError):
    """The native runtime failed or died in its child process; names the signal when there was one."""

    exit_code = ExitCode.RUNTIME_CRASH

    def __init__(self, message: str, *, signal_name: str | None = None, op: str | None = None) -> None:
        extra = ""
        if signal_name:
            extra += f" (killed by {signal_name})"
        if op:
            extra += f" while running {op}"
        super().__init__(message + extra)
        self.signal_name = signal_name
        self.op = op


class VerdictFailed(ToolkitError):
    """Raised by nothing in the library: the CLI returns ExitCode.VERDICT_FAILED for failing verdicts."""

    exit_code = ExitCode.VERDICT_FAILED


class NumericsFailed(ToolkitError):
    """convert wrote the .tflite, but it exceeded its tolerance, a check runtime failed/hung, or TF's own
    reference run failed so nothing was checked. The file is kept; the message says which."""

    exit_code = ExitCode.NUMERICS_FAILED
