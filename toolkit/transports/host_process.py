"""Child processes of this machine, for the transports that run there (local, tflm, emulator).

What they share on top of ``toolkit.children`` (the one child-process helper: process group killed on
timeout and on Ctrl-C / SIGTERM, no core files, signals by name): a timeout is a DeviceError, and run
directories of processes that are gone can be recognised (zombies count as gone: PID 1 here never reaps).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit import children
from toolkit.errors import DeviceError
from toolkit.transports.base import RunResult


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


def run_child(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    what: str,
    shown_argv: Sequence[str] | None = None,
) -> RunResult:
    """Run ``argv`` (``toolkit.children.run``: own process group, killed on timeout / Ctrl-C / SIGTERM);
    past ``timeout`` raise DeviceError.

    The DeviceError's ``__cause__`` is the TimeoutExpired carrying what the child printed so far (bench uses
    it to name the phase a hung runtime was in). ``what`` names the program in messages.
    """
    try:
        res = children.run(argv, cwd=cwd, env=env, timeout=timeout, what=what)
    except children.ChildStartError as exc:
        raise DeviceError(exc.message) from exc
    if res.timed_out:
        expired = subprocess.TimeoutExpired(list(argv), timeout, output=res.stdout, stderr=res.stderr)
        raise DeviceError(f"{what} did not finish within {timeout:g} s") from expired
    return RunResult(
        argv=tuple(shown_argv if shown_argv is not None else argv),
        returncode=res.returncode,
        stdout=res.stdout,
        stderr=res.stderr,
        duration_s=res.duration_s,
        signal=res.signal,
    )
