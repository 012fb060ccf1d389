"""Every native child process edgetk starts on this machine: runtimes, the TF converter worker, probes,
numerics, the legacy converter env.

One helper so the rules hold by structure, not by each caller remembering them:

- each child runs in its **own session** (so a hung runtime's forks can be found) and its **process group is
  killed** when it passes its timeout, when the CLI gets Ctrl-C / SIGTERM, or when anything else goes wrong
  in the caller (``BaseException``): nothing edgetk started keeps running under PID 1;
- live groups are registered, so the CLI's signal handler (``toolkit.cli.main``) can also kill children that
  threads started (fleet runs) — ``kill_all()``;
- crashing runtimes leave no core files; a signal is reported by name and an unknown signal number never
  raises (``signal_name``);
- stderr can be streamed line by line (``on_stderr_line``) for progress while the child works.

``run`` never raises for what the child did (timeout, crash, exit code): the ``ChildResult`` says it, and the
caller decides what that means (a runtime crash, a device error, a hung probe). It raises ``ChildStartError``
(a ToolkitError) only when the program cannot be started at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError

_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()
#: set by the CLI's SIGINT/SIGTERM handler: every child wait (in any thread, fleet runs included) and every
#: remote wait (ssh) sees it within a fraction of a second, stops its child and raises ``Cancelled``
CANCEL = threading.Event()


class Cancelled(ToolkitError):
    """The run was stopped because the CLI got Ctrl-C or SIGTERM (the child was killed first)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: cancelled (Ctrl-C / SIGTERM)")


class ChildStartError(ToolkitError):
    """The program could not be started (missing interpreter, not executable)."""

    def __init__(self, what: str, program: str, detail: str) -> None:
        super().__init__(f"{what}: cannot start {program}: {detail}")


@dataclass(frozen=True)
class ChildResult:
    argv: tuple[str, ...]
    returncode: int  # negative: killed by that signal (as subprocess reports it)
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False  # True: stopped at the timeout (returncode is then -SIGKILL)

    @property
    def signal(self) -> str | None:
        return None if self.timed_out else signal_name(self.returncode)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def why(self) -> str:
        """A short reason for a failed child: 'timed out', 'killed by SIGSEGV', 'exit code 3: <last line>'."""
        if self.timed_out:
            return f"did not finish within {self.duration_s:.0f} s"
        if self.signal:
            return f"killed by {self.signal}"
        tail = self.stderr.strip().splitlines()[-1:] or ["no output"]
        return f"exit code {self.returncode}: {tail[0][-200:]}"


def signal_name(returncode: int) -> str | None:
    """"SIGSEGV" for returncode -11; "signal 77" for a number Python has no name for; None for an exit."""
    if returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def no_core_dumps() -> None:
    """preexec_fn: a crashing runtime (TFLM SEGFAULT on a tiny arena, a qemu guest) writes no core file."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (its own session); gone already is fine."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_all() -> int:
    """Kill every child group still registered (the CLI's Ctrl-C / SIGTERM path); returns how many."""
    with _LIVE_LOCK:
        groups = list(_LIVE)
        _LIVE.clear()
    for pid in groups:
        kill_group(pid)
    return len(groups)


def live_groups() -> list[int]:
    with _LIVE_LOCK:
        return sorted(_LIVE)


def _reader(stream, sink: list[str], on_line: Callable[[str], None] | None) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace")
        sink.append(line)
        if on_line is not None:
            try:
                on_line(line.rstrip("\n"))
            except Exception:  # noqa: BLE001 - a progress callback must not stop the reader
                on_line = None
    stream.close()


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    timeout: float,
    what: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin_devnull: bool = True,
    on_stderr_line: Callable[[str], None] | None = None,
) -> ChildResult:
    """Run ``argv`` to completion (or ``timeout``) with stdout/stderr captured; see the module docstring."""
    argv = [os.fspath(a) for a in argv]
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL if stdin_devnull else None, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, preexec_fn=no_core_dumps,
        )  # fmt: skip
    except OSError as exc:
        raise ChildStartError(what, argv[0], exc.strerror or str(exc)) from exc
    with _LIVE_LOCK:
        _LIVE.add(proc.pid)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=_reader, args=(proc.stdout, out, None), daemon=True),
               threading.Thread(target=_reader, args=(proc.stderr, err, on_stderr_line), daemon=True)]
    for t in readers:
        t.start()
    timed_out = False
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:  # short slices: a thread's child also stops at once on Ctrl-C (CANCEL)
            if CANCEL.is_set():
                kill_group(proc.pid)
                proc.wait()
                raise Cancelled(what)
            if time.monotonic() >= deadline:
                timed_out = True
                kill_group(proc.pid)
                proc.wait()
                break
            try:
                proc.wait(timeout=min(0.2, max(deadline - time.monotonic(), 0.01)))
            except subprocess.TimeoutExpired:
                pass
    except BaseException:  # Ctrl-C, SIGTERM (toolkit.cli.main raises), a caller's error: nothing left running
        kill_group(proc.pid)
        proc.wait()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc.pid)
    for t in readers:
        t.join(timeout=5)  # a grandchild holding the pipe open cannot keep us here
    return ChildResult(tuple(argv), proc.returncode, "".join(out), "".join(err), time.monotonic() - started,
                       timed_out)
