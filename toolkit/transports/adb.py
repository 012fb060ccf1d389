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
(which also kills what a dead session left running there; see toolkit.transports.remote_sh).
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from toolkit.errors import DeviceError, MissingDependencyError
from toolkit.transports.base import RunResult, Transport, sha256_file
from toolkit.transports.remote_sh import holder_script, run_id
from toolkit.transports.ssh import PutRecord, check_remote_name, quote_argv, signal_from_status

DEFAULT_REMOTE_DIR = "/data/local/tmp/edgetk"


class AdbTransport(Transport):
    kind = "adb"
    emulated = False

    def __init__(
        self,
        serial: str | None = None,
        adb: str = "adb",
        *,
        remote_dir: str = DEFAULT_REMOTE_DIR,
        python: str = "python3",
        run_timeout: float = 600.0,
        label: str = "",
    ) -> None:
        self.serial, self.adb, self.base, self.python = serial, adb, remote_dir.rstrip("/"), python
        self.run_timeout, self.label = run_timeout, label or serial or "adb device"
        self.run_dir = ""
        self.puts: list[PutRecord] = []
        self._holder: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"AdbTransport({self.label!r})"

    def _adb(self, *args: str, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        argv = [self.adb, *(["-s", self.serial] if self.serial else []), *args]
        try:
            return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout)
        except FileNotFoundError:
            raise MissingDependencyError(f"the adb client ({self.adb})", "apt install adb (or Android platform-tools)") from None
        except subprocess.TimeoutExpired:
            raise DeviceError(f"adb {args[0]} timed out after {timeout:g}s on {self.label}") from None

    def _sh(self, script: str, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        return self._adb("shell", "-T", script, timeout=timeout)

    def connect(self) -> None:
        state = self._adb("get-state", timeout=30)
        if state.returncode != 0 or state.stdout.strip() != "device":
            detail = (state.stderr.strip() or state.stdout.strip()).splitlines()[-1:] or ["no device"]
            raise DeviceError(f"adb device {self.label} is not available: {detail[0]}")
        runs = f"{self.base}/runs"
        self.run_dir = f"{runs}/{int(time.time())}-{secrets.token_hex(4)}"
        script = holder_script(runs, self.run_dir, f"{self.base}/blobs", mkdirs=True)
        argv = [self.adb, *(["-s", self.serial] if self.serial else []), "shell", "-T", script]
        self._holder = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self._holder.stdout.readline() if self._holder.stdout else ""
        if line.strip() != "ready":
            err = self._holder.stderr.read() if self._holder.stderr and self._holder.poll() is not None else ""
            self.close()
            raise DeviceError(f"could not create a run directory under {runs} on {self.label}: {err.strip()}")

    def close(self) -> None:
        if self._holder is None:
            return
        try:
            if self.run_dir:
                self._sh(f"rm -rf -- {shlex.quote(self.run_dir)}", timeout=60)
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
        cmd = f"cd {shlex.quote(self.run_dir)} || exit 125; {quote_argv(argv)}; exit $?"
        start = time.monotonic()
        limit = timeout if timeout is not None else self.run_timeout
        proc = self._sh(cmd, timeout=limit)
        return RunResult(tuple(map(str, argv)), proc.returncode, proc.stdout, proc.stderr,
                         time.monotonic() - start, signal_from_status(proc.returncode))

    def remote_sha256(self, path: str) -> str | None:
        res = self._sh(f"sha256sum {shlex.quote(path)} 2>/dev/null")
        return res.stdout.split()[0] if res.returncode == 0 and res.stdout.strip() else None

    def put(self, local: Path, name: str | None = None) -> str:
        return self.put_record(local, name).remote_path

    def put_record(self, local: Path, name: str | None = None) -> PutRecord:
        local = Path(local)
        name = check_remote_name(name or local.name)
        digest = sha256_file(local)
        blob = str(PurePosixPath(self.base) / "blobs" / digest)
        cached = self.remote_sha256(blob) == digest
        sent = 0
        if not cached:
            tmp = f"{blob}.tmp-{run_id(self.run_dir)}-{secrets.token_hex(4)}"  # see remote_sh
            pushed = self._adb("push", str(local), tmp, timeout=max(120.0, local.stat().st_size / 1e6))
            got = self.remote_sha256(tmp) if pushed.returncode == 0 else None
            if got != digest:
                self._sh(f"rm -f -- {shlex.quote(tmp)}")
                why = pushed.stderr.strip() or f"sha256 {got} != {digest}"
                raise DeviceError(f"push of {local.name} to {self.label} failed: {why}")
            mv = self._sh(f"mv -f -- {shlex.quote(tmp)} {shlex.quote(blob)}")
            if mv.returncode != 0:
                raise DeviceError(f"cannot store {local.name} on {self.label}: {mv.stderr.strip()}")
            sent = local.stat().st_size
        dest = str(PurePosixPath(self.run_dir) / name)
        ln = self._sh(f"ln -sf -- {shlex.quote(blob)} {shlex.quote(dest)}")
        if ln.returncode != 0:
            raise DeviceError(f"cannot link {name} into the run directory on {self.label}: {ln.stderr.strip()}")
        rec = PutRecord(name, dest, blob, digest, cached, sent)
        self.puts.append(rec)
        return rec

    def get(self, remote: str, local: Path) -> None:
        local = Path(local)
        tmp = local.with_name(f".{local.name}.part-{secrets.token_hex(4)}")
        res = self._adb("pull", remote, str(tmp))
        if res.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise DeviceError(f"cannot pull {remote} from {self.label}: {res.stderr.strip()}")
        os.replace(tmp, local)
