"""Child processes of this machine, for the transports that run there (local, tflm, emulator).

One place for what they share: the whole process group is killed on timeout (qemu-user and interpreters
may fork), crashing native runtimes leave no core files, a signal is reported by name, and run
directories of processes that are gone can be recognised (zombies count as gone: PID 1 here never reaps).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit.errors import DeviceError
from toolkit.transports.base import RunResult


def signal_name(returncode: int) -> str | None:
    """"SIGSEGV" for a child killed by signal 11 (subprocess reports it as returncode -11)."""
    if returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def pid_alive(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def remove_orphans(parent: Path, prefix: str) -> None:
    """Remove ``<prefix><pid>-...`` entries (run dirs, partial copies) whose process is gone.

    Killed runs (SIGKILL, Ctrl-C during a copy) leave them behind; the next connect clears them.
    """
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if not entry.name.startswith(prefix):
            continue
        try:
            pid = int(entry.name[len(prefix) :].split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def no_core_dumps() -> None:
    """preexec_fn: a crashing runtime (TFLM SEGFAULT on a tiny arena, a qemu guest) writes no core file."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_child(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    what: str,
    shown_argv: Sequence[str] | None = None,
) -> RunResult:
    """Run ``argv`` with output captured; past ``timeout`` kill its process group and raise DeviceError.

    The DeviceError's ``__cause__`` is the TimeoutExpired carrying what the child printed so far (bench uses
    it to name the phase a hung runtime was in). ``what`` names the program in messages.
    """
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=no_core_dumps,
        )
    except OSError as exc:
        raise DeviceError(f"{what}: cannot start {argv[0]}: {exc.strerror}") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        expired = subprocess.TimeoutExpired(list(argv), timeout, output=out, stderr=err)
        raise DeviceError(f"{what} did not finish within {timeout:g} s") from expired
    return RunResult(
        argv=tuple(shown_argv if shown_argv is not None else argv),
        returncode=proc.returncode,
        stdout=out.decode(errors="replace"),
        stderr=err.decode(errors="replace"),
        duration_s=time.monotonic() - started,
        signal=signal_name(proc.returncode),
    )
