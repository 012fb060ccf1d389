"""The parent the test sshd's orphans get: a child subreaper that reaps them at once.

Why it exists (observed with OpenSSH 9.2 here, ``ps -eo pid,ppid,stat,comm`` polled after a session's close):
when an SSH session ends, its privileged monitor (``sshd: USER [priv]``) exits without waiting for its
unprivileged child (``sshd: USER@notty``), and that child does not wait for the session's processes
(``internal-sftp``, the run directory's holder ``cat``). All of them are re-parented to PID 1, and PID 1 of
this machine (process_api, not an init) reaps orphans only after about 2 s, so each session left
``[sshd]`` / ``[cat]`` zombies behind (measured: an orphan's zombie lived 1.96-2.01 s in 5 of 5 trials). A
real board's init reaps them at once; the tests' device should too.

So sshd is started by this process (``python runtime_tests/subreaper.py``), which sets
``PR_SET_CHILD_SUBREAPER``: every orphan below it is re-parented to it, and it reaps within ``POLL_S``. It
also outlives a SIGKILLed sshd (the reliability tests kill the server mid-session and start a new one), so
what such a session leaves running is still reaped when it ends. On ``close`` (or when the tests' process
dies: stdin EOF) it kills whatever is still running below it, reaps it and exits. The protocol is JSON lines:
in, ``{"spawn": argv, "log": path}``; out, ``{"ready": true}``, ``{"pid": N}`` and ``{"exited": N, "status":
S}`` for each spawned process (orphans are reaped silently).
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
POLL_S = 0.02


class Spawned:
    """A process the subreaper started: the part of ``subprocess.Popen`` the tests use (pid, poll, wait,
    terminate, kill). Its exit status comes from the subreaper, which is its parent."""

    def __init__(self, reaper: Subreaper, pid: int) -> None:
        self.reaper, self.pid = reaper, pid

    def poll(self) -> int | None:
        self.reaper.read_reports(0)
        return self.reaper.statuses.get(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pid not in self.reaper.statuses:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            self.reaper.read_reports(POLL_S * 5)
        return self.reaper.statuses[self.pid]

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)


class Subreaper:
    """Start with ``Subreaper()``, ``spawn`` the peer, ``close`` when done (bounded)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.statuses: dict[int, int] = {}
        self._buffer = b""
        self._replies: list[dict] = []
        self._reply(10)  # {"ready": true}

    def spawn(self, argv: list[str], log: Path) -> Spawned:
        self.proc.stdin.write(json.dumps({"spawn": argv, "log": str(log)}).encode() + b"\n")
        self.proc.stdin.flush()
        return Spawned(self, self._reply(10)["pid"])

    def read_reports(self, timeout: float) -> None:
        """Read what the subreaper has said within ``timeout`` s: exit statuses go to ``statuses``."""
        fd = self.proc.stdout.fileno()
        if select.select([fd], [], [], timeout)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the subreaper exited (status {self.proc.wait()})")
            self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if "exited" in message:
                self.statuses[message["exited"]] = message["status"]
            else:
                self._replies.append(message)

    def _reply(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while not self._replies:
            if time.monotonic() > deadline:
                raise RuntimeError("the subreaper did not answer")
            self.read_reports(POLL_S * 5)
        return self._replies.pop(0)

    def close(self, timeout: float = 15) -> None:
        """Stdin EOF: the subreaper kills and reaps what is still below it, then exits."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("the subreaper did not finish in time (killed)") from None


# ---- the subreaper process ------------------------------------------------------------------------------
def _say(message: dict) -> None:
    try:
        os.write(1, json.dumps(message).encode() + b"\n")
    except OSError:  # the tests' process is gone (or stopped reading): reaping goes on regardless
        pass


def _start(argv: list[str], log: str) -> int:
    pid = os.fork()
    if pid == 0:  # the child: stdin /dev/null, stdout and stderr to the log, default signals (as Popen does)
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.closerange(3, 1024)
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid


def _reap(spawned: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in spawned:
            spawned.discard(pid)
            _say({"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def _children() -> list[int]:
    me = os.getpid()
    return [int(p) for task in os.listdir(f"/proc/{me}/task")
            for p in Path(f"/proc/{me}/task/{task}/children").read_text().split()]


def _finish(spawned: set[int]) -> None:
    """Kill what is still below this process (each kill may orphan grandchildren onto it: repeat), reap it."""
    deadline = time.monotonic() + 10
    while (left := _children()) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(POLL_S)
        _reap(spawned)


def main() -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    spawned: set[int] = set()
    buffer = b""
    _say({"ready": True})
    while True:
        if select.select([0], [], [], POLL_S)[0]:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            *lines, buffer = (buffer + chunk).split(b"\n")
            for line in lines:
                request = json.loads(line)
                pid = _start(request["spawn"], request["log"])
                spawned.add(pid)
                _say({"pid": pid})
        _reap(spawned)
    _finish(spawned)


if __name__ == "__main__":
    main()
