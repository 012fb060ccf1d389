"""Reach an Android phone (or any adbd) through the real `adb` client binary.

Why through the client and not a Python adb library: the client is what users already have working with
their phones (USB permissions, authorization keys, `adb connect`, the server's device list), so if
`adb devices` sees the phone, edgetk does too.

`adb shell` takes ONE command string that the device's shell parses: every argv element is shlex-quoted
before joining, so no user-supplied string reaches the device shell unquoted. Exit codes come back through
shell protocol v2 (a child killed by signal N exits 128+N). Files go to ``/data/local/tmp/edgetk`` (the one
place apps-less shells may write): content-addressed blobs under ``blobs/<sha256>`` (pushed under a temporary
name, hash-checked with the device's sha256sum, renamed), and one directory per run under ``runs/<id>``,
held by a holder process for the life of this transport and removed by ``close()`` or by the next connect
(which also kills what a dead session left running there; see toolkit.transports.remote_sh). ``remote_dir``
follows the SSH rules (one validator): absolute, or ``~``/``~/x`` under the device shell's $HOME; ``..`` refused.

Runs are process groups on the device: adbd starts each shell in its own session, and when its client goes
(timeout, Ctrl-C) it only SIGHUPs that shell, so a runner under it would keep running. Each run records its
group (``tracked_command``: ``<remote_dir>/pids/<pgid>``, apart from the run dir); at a timeout, on Ctrl-C /
SIGTERM or a fleet cancel the local adb client is killed (toolkit.children) and a second shell kills every
group this session recorded; the next connect reaps groups whose holder is gone, even when the run dir is.

A lost device is not an exit code: when the link drops mid-command (cable pulled, ``adb disconnect``, adbd
gone) the adb 29 client exits 0 with whatever output had arrived. So every device shell command ends by
printing a per-call marker with its real exit status on stderr; a missing marker means the command never
finished, and ``adb get-state`` tells a lost device (DeviceError "connection to SERIAL lost while running X")
from a shell killed on the device.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field

from toolkit import children
from toolkit.errors import BadInputError, DeviceError, MissingDependencyError
from toolkit.transports.base import ConnectOptions, RunResult, Transport, TransportEntry
from toolkit.transports.blob_cache import BlobCachePuts, PutRecord, printable
from toolkit.transports.remote_sh import (
    check_remote_dir,
    holder_script,
    kill_holder_groups_script,
    quote_argv,
    remote_base,
    signal_from_status,
    strip_pgid_marker,
    tracked_command,
)

DEFAULT_REMOTE_DIR = "/data/local/tmp/edgetk"


class AdbEntry(TransportEntry):
    """An adb device as devices.toml stores it (the inventory's adb entries are this model)."""

    transport: Literal["adb"] = "adb"
    serial: str | None = None
    adb: str = Field("adb", description="the adb client to run")
    remote_dir: str = DEFAULT_REMOTE_DIR
    python: str = "python3"
    run_timeout: float = Field(600.0, gt=0)
    benchmark_binary: str | None = Field(
        None, description="LiteRT's benchmark_model: a host file edgetk pushes, or a path on the device; when set, "
                          "bench runs it instead of the Python runner (phones have no Python)")
    inference_diff_binary: str | None = Field(
        None, description="LiteRT's inference_diff (tools/evaluation/tasks/inference_diff, run_eval): a host file "
                          "edgetk pushes, or a path on the device; bench --accelerator gpu runs it for GPU-vs-CPU "
                          "numerics on the phone")


class AdbTransport(BlobCachePuts, Transport):
    kind = "adb"
    emulated = False

    @classmethod
    def from_entry(cls, entry: TransportEntry, options: ConnectOptions) -> AdbTransport:
        assert isinstance(entry, AdbEntry)
        return cls(entry.serial, entry.adb, remote_dir=entry.remote_dir, python=entry.python,
                   run_timeout=entry.run_timeout, label=options.label, benchmark_binary=entry.benchmark_binary,
                   inference_diff_binary=entry.inference_diff_binary)

    def __init__(
        self,
        serial: str | None = None,
        adb: str = "adb",
        *,
        remote_dir: str = DEFAULT_REMOTE_DIR,
        python: str = "python3",
        run_timeout: float = 600.0,
        label: str = "",
        benchmark_binary: str | None = None,
        inference_diff_binary: str | None = None,
    ) -> None:
        self.label = printable(label or serial or "adb device")
        self.benchmark_binary, self.inference_diff_binary = benchmark_binary, inference_diff_binary
        if not check_remote_dir(remote_dir, self.label).startswith(("/", "~")):
            raise BadInputError(f"remote_dir {remote_dir!r} of {self.label}: must be an absolute path on the device "
                                f"(or ~/..., under the device shell's $HOME), e.g. {DEFAULT_REMOTE_DIR}")
        self.serial, self.adb, self.python = serial, adb, python
        self.remote_dir = remote_dir
        self.base = "" if remote_dir.startswith("~") else remote_dir.rstrip("/") or "/"
        self.run_timeout = run_timeout
        self.run_dir = ""
        self.puts: list[PutRecord] = []
        self._holder: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"AdbTransport({self.label!r})"

    def _adb(self, *args: str, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        """A short adb call that is not cancelled by Ctrl-C (state queries, and the clean-up that must still run
        after it); device commands and transfers go through ``_client``."""
        argv = self._argv(*args)
        try:
            return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout)
        except FileNotFoundError:
            raise MissingDependencyError(f"the adb client ({self.adb})", "apt install adb (or Android platform-tools)") from None
        except subprocess.TimeoutExpired:
            raise DeviceError(f"adb {args[0]} timed out after {timeout:g}s on {self.label}") from None

    @property
    def where(self) -> str:
        """The device for messages: its serial, and the inventory name when it has one."""
        serial = printable(self.serial) if self.serial else "the adb device"
        return serial if self.label in (serial, "adb device") else f"{serial} ({self.label})"

    def _sh(self, script: str, timeout: float | None = 120, *, what: str = "sh",
            stop_on_device: bool = False) -> RunResult:
        """Run ``script`` in the device shell; the status comes from the end marker (see the module docstring).
        The script runs in a subshell so an ``exit`` inside it still reaches the marker. The local adb client is
        a child process (toolkit.children: killed at the timeout, on Ctrl-C / SIGTERM and on fleet cancel);
        ``stop_on_device`` also kills what the script started on the device then (a ``tracked_command``):
        adbd only sends SIGHUP to the shell when its client goes, and the runner under it would keep running."""
        marker = f"edgetk-status-{secrets.token_hex(8)}"
        wrapped = f"(\n{script}\n)\ns=$?; printf '\\n{marker} %d\\n' \"$s\" >&2; exit \"$s\""
        limit = timeout if timeout is not None else 10 * 365 * 86400.0
        try:
            proc = self._client(["shell", "-T", wrapped], limit, f"{what} on {self.where}")
        except BaseException:  # Ctrl-C, SIGTERM, fleet cancel: the client is dead; the device side must be too
            if stop_on_device:
                self._kill_on_device()
            raise
        if proc.timed_out:
            if stop_on_device:
                self._kill_on_device()
                raise DeviceError(f"command {printable(what)} timed out after {limit:g}s on {self.where} "
                                  f"(stopped there)")
            raise DeviceError(f"adb shell ({printable(what)}) timed out after {limit:g}s on {self.where}")
        cut = proc.stderr.rfind(f"\n{marker} ")
        if cut < 0:
            raise self._unfinished_error(what, proc.duration_s, proc.returncode)
        status = int(proc.stderr[cut:].split()[1])
        return RunResult((what,), status, proc.stdout, proc.stderr[:cut], proc.duration_s, signal_from_status(status))

    def _client(self, args: Sequence[str], timeout: float, what: str) -> children.ChildResult:
        """The adb client as a child process (toolkit.children): stopped at ``timeout`` (the result says so), and
        on Ctrl-C / SIGTERM / a fleet cancel (raises), so no device command or transfer outlives the CLI's wish."""
        try:
            return children.run(self._argv(*args), timeout=timeout, what=what)
        except children.ChildStartError:
            raise MissingDependencyError(f"the adb client ({self.adb})", "apt install adb (or Android platform-tools)") from None

    def _transfer(self, args: Sequence[str], timeout: float) -> children.ChildResult:
        res = self._client(args, timeout, f"adb {args[0]} on {self.where}")
        if res.timed_out:
            raise DeviceError(f"adb {args[0]} timed out after {timeout:g}s on {self.where}")
        return res

    def _argv(self, *args: str) -> list[str]:
        return [self.adb, *(["-s", self.serial] if self.serial else []), *args]

    def _unfinished_error(self, what: str, elapsed: float, adb_status: int) -> DeviceError:
        """A command whose end marker never arrived: the device went away, or its shell was killed there."""
        state = self._adb("get-state", timeout=30)
        if state.returncode != 0 or state.stdout.strip() != "device":
            return DeviceError(f"connection to {self.where} lost while running {printable(what)} "
                               f"(after {elapsed:.0f}s)")
        return DeviceError(f"{printable(what)} on {self.where} ended without an exit status "
                           f"(adb exit {adb_status}; its shell was killed on the device?)")

    def connect(self) -> None:
        state = self._adb("get-state", timeout=30)
        if state.returncode != 0 or state.stdout.strip() != "device":
            detail = (state.stderr.strip() or state.stdout.strip()).splitlines()[-1:] or ["no device"]
            raise DeviceError(f"adb device {self.label} is not available: {detail[0]}")
        if self.remote_dir.startswith("~"):
            self.base = self._home_base()
        runs = f"{self.base}/runs"
        self.run_dir = f"{runs}/{int(time.time())}-{secrets.token_hex(4)}"
        script = holder_script(runs, self.run_dir, f"{self.base}/blobs", mkdirs=True)
        argv = self._argv("shell", "-T", script)
        self._holder = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self._holder.stdout.readline() if self._holder.stdout else ""
        if line.strip() != "ready":
            err = self._holder.stderr.read() if self._holder.stderr and self._holder.poll() is not None else ""
            self.close()
            raise DeviceError(f"could not create a run directory under {printable(runs)} on {self.where}: "
                              f"{_one_line(err)}")

    def _home_base(self) -> str:
        """``~`` and ``~/x`` under the device shell's $HOME (as SSH does under the login home)."""
        home = self._sh('printf %s "$HOME"', timeout=60, what="echo $HOME").stdout.strip()
        if not home.startswith("/") or not home.isprintable():
            raise BadInputError(f"remote_dir {self.remote_dir!r} of {self.label}: the device shell has no usable "
                                f"$HOME ({printable(home) or 'unset'}); write the path out, e.g. {DEFAULT_REMOTE_DIR}")
        return remote_base(self.remote_dir, home).rstrip("/") or "/"

    def close(self) -> None:
        if self._holder is None:
            return
        try:
            if self.run_dir:  # not through _sh: after Ctrl-C (children.CANCEL) this clean-up must still run
                self._adb("shell", "-T", f"rm -rf -- {shlex.quote(self.run_dir)}", timeout=60)
        except Exception:  # noqa: BLE001 - device gone: the next connect removes the directory
            pass
        holder, self._holder = self._holder, None
        try:
            if holder.stdin:
                holder.stdin.close()
            holder.wait(10)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
        for pipe in (holder.stdout, holder.stderr):
            if pipe:
                pipe.close()

    def python_argv(self) -> list[str]:
        return [self.python]

    def run(self, argv: Sequence[str], *, timeout: float | None = None) -> RunResult:
        """Run argv in this run's directory, every element shlex-quoted. A lost device is a DeviceError."""
        if self._holder is None:
            raise DeviceError(f"not connected to {self.where}")
        cmd = f"cd {shlex.quote(self.run_dir)} || exit 125\n" + tracked_command(quote_argv(argv), self._pids_dir)
        limit = timeout if timeout is not None else self.run_timeout
        res = self._sh(cmd, timeout=limit, what=str(argv[0]), stop_on_device=True)
        stderr = strip_pgid_marker(res.stderr.encode()).decode()
        return RunResult(tuple(map(str, argv)), res.returncode, res.stdout, stderr, res.duration_s, res.signal)

    @property
    def _pids_dir(self) -> str:
        return f"{self.base}/pids"

    def _kill_on_device(self) -> None:
        """Kill every process group this session's runs started on the device (from their pid records: the
        adb client cannot tell us a group id while the command runs). Best effort and bounded: a device that is
        gone is reaped by the next connect."""
        try:
            self._adb("shell", "-T", kill_holder_groups_script(self._pids_dir, self.run_dir), timeout=10)
        except Exception:  # noqa: BLE001 - the device is gone: the next connect reaps the groups (pid records)
            pass

    def remote_sha256(self, path: str) -> str | None:
        res = self._sh(f"sha256sum -- {shlex.quote(path)} 2>/dev/null", what="sha256sum")
        return res.stdout.split()[0].lstrip("\\") if res.returncode == 0 and res.stdout.strip() else None

    def _upload_blob(self, local: Path, remote: str, name: str) -> int:
        size = local.stat().st_size
        pushed = self._transfer(["push", os.path.abspath(local), remote], timeout=max(120.0, size / 1e6))
        if pushed.returncode != 0:
            raise DeviceError(f"push of {printable(local.name)} to {self.where} failed: {_one_line(pushed.stderr)}")
        return size

    def _rename_blob(self, tmp: str, blob: str) -> None:
        mv = self._sh(f"mv -f -- {shlex.quote(tmp)} {shlex.quote(blob)}", what="mv")
        if mv.returncode != 0:
            raise DeviceError(f"cannot store {printable(PurePosixPath(blob).name)} on {self.where}: "
                              f"{_one_line(mv.stderr)}")

    def _link_blob(self, blob: str, dest: str) -> None:
        ln = self._sh(f"ln -sf -- {shlex.quote(blob)} {shlex.quote(dest)}", what="ln")
        if ln.returncode != 0:
            raise DeviceError(f"cannot link {printable(PurePosixPath(dest).name)} into the run directory on "
                              f"{self.where}: {_one_line(ln.stderr)}")

    def _discard_partial(self, tmp: str) -> None:
        try:
            self._sh(f"rm -f -- {shlex.quote(tmp)}", timeout=60, what="rm")
        except Exception:  # noqa: BLE001 - device gone: the next connect sweeps partial uploads
            pass

    def get(self, remote: str, local: Path) -> None:
        """Fetch ``remote`` (relative: in this run's directory, where the runner writes --outputs-npz) through a
        temporary local name. Paths are absolute on both sides so no name can read as an adb option."""
        if not remote.startswith("/"):
            remote = str(PurePosixPath(self.run_dir) / remote)
        local = Path(os.path.abspath(local))
        tmp = local.with_name(f".{local.name}.part-{secrets.token_hex(4)}")
        res = self._transfer(["pull", remote, str(tmp)], timeout=120)
        if res.returncode != 0 or not tmp.is_file():
            tmp.unlink(missing_ok=True)
            why = _one_line(res.stderr) or "no file arrived"
            raise DeviceError(f"cannot pull {printable(remote)} from {self.where}: {why}")
        os.replace(tmp, local)


def _one_line(text: str) -> str:
    return " ".join(text.split())
