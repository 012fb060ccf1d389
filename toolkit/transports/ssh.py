"""Reach a Linux board (Raspberry Pi, Jetson, any SBC) over SSH with paramiko: the transport class.

Where the parts live: the devices.toml entry, settings and ~/.ssh/config resolution in
``toolkit.transports.ssh_config``; known_hosts and the host-key policy in ``ssh_host_keys``; logging in
(identity files, password, ProxyJump) in ``ssh_login``; cancellable SFTP transfers in ``ssh_transfer``; the
remote shell snippets SSH and adb share in ``remote_sh``. The names other modules import are re-exported here.

Why it is built this way:
- Host keys are checked against known_hosts and an unknown or changed key is refused (a device on a lab
  network is exactly where a spoofed host would go unnoticed); trusting a new key is an explicit choice.
- Files go up over SFTP to a content-addressed cache on the device (``<remote_dir>/blobs/<sha256>``), written
  under a temporary name, hash-checked on the device and renamed, so an interrupted upload never leaves a
  half file that looks valid and an unchanged model is not sent twice over a slow link.
- Every run works in its own directory ``<remote_dir>/runs/<id>`` owned by a holder process that lives as long
  as the SSH session; ``close()`` removes it, and the next ``connect()`` removes directories whose holder is gone
  (the session died on Ctrl-C, a crash or a dropped link), first killing what still runs in them, since sshd
  does not signal a command whose session dropped (toolkit.transports.remote_sh).
- A lost link is one DeviceError saying so ("connection to HOST lost while running X", "upload of X to HOST
  failed: connection lost"), never a paramiko exception or an exit status of -1.
- Remote commands are argv lists joined with ``shlex.quote``: no string reaches the remote shell unquoted.
- A password is read from the environment variable *named* in the settings or from a prompt at connect time,
  handed to paramiko and dropped: it is never stored on the object, logged, or put into an exception.
"""

from __future__ import annotations

import errno
import os
import secrets
import select
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from toolkit import children
from toolkit.errors import BadInputError, DeviceError, ToolkitError
from toolkit.transports import ssh_transfer
from toolkit.transports.base import ConnectOptions, RunResult, Transport, TransportEntry
from toolkit.transports.blob_cache import BlobCachePuts, PutRecord, check_remote_name, printable
from toolkit.transports.remote_sh import (
    check_remote_dir,
    holder_script,
    quote_argv,
    remote_base,
    remote_pgid,
    signal_from_status,
    strip_pgid_marker,
    tracked_command,
)
from toolkit.transports.ssh_config import Endpoint, SshEntry, SshSettings, resolve_endpoint
from toolkit.transports.ssh_login import jump_sock, open_client

__all__ = ["Endpoint", "PutRecord", "SshEntry", "SshSettings", "SshTransport", "check_remote_dir",
           "check_remote_name", "printable", "quote_argv", "resolve_endpoint", "signal_from_status"]


class SshTransport(BlobCachePuts, Transport):
    kind = "ssh"
    emulated = False

    @classmethod
    def from_entry(cls, entry: TransportEntry, options: ConnectOptions) -> SshTransport:
        """``ask_password`` prompts on the terminal at connect time (getpass: not echoed, not kept)."""
        assert isinstance(entry, SshEntry)
        fields = entry.model_dump(include=set(SshEntry.model_fields) - {"transport"})
        return cls(SshSettings(**fields, trust_new_host_key=options.trust_new_host_key, progress=options.progress,
                               label=options.label, ask_password=options.ask_password))

    def __init__(self, settings: SshSettings) -> None:
        label = printable(settings.label or settings.host)
        check_remote_dir(settings.remote_dir, label)
        self.settings = replace(settings, label=label) if settings.label else settings
        self.puts: list[PutRecord] = []
        self.base = ""
        self.run_dir = ""
        self._client: Any = None
        self._jumps: list[Any] = []
        self._sftp: Any = None
        self._holder: Any = None
        self._endpoint: Endpoint | None = None
        self._aborted = False  # the link was dropped on purpose (Ctrl-C mid-upload): close() cleans up anew
        self._leftovers: list[str] = []  # device paths the aborted session left (partial uploads)

    def __repr__(self) -> str:
        return f"SshTransport({self.settings.label or self.settings.host!r})"

    @property
    def where(self) -> str:
        e = self._endpoint
        return f"{e.user}@{e.hostname}:{e.port}" if e else self.settings.host

    # ---- connection -------------------------------------------------------------------------------------
    def connect(self) -> None:
        self._aborted, self._leftovers = False, []
        self._endpoint = endpoint = resolve_endpoint(self.settings)
        sock = jump_sock(self.settings, endpoint.proxy_jump, endpoint, self._jumps) if endpoint.proxy_jump else None
        self._client = open_client(self.settings, endpoint, sock, self.settings.trust_new_host_key)
        try:
            self._client.get_transport().set_keepalive(self.settings.keepalive_s)
            self._sftp = self._client.open_sftp()
            home = self._sftp.normalize(".")
            self.base = remote_base(self.settings.remote_dir, home)
            for sub in ("", "blobs", "runs"):
                self._sftp_makedirs(str(PurePosixPath(self.base) / sub) if sub else self.base)
            self._start_run_dir()
        except ToolkitError:
            self.close()
            raise
        except (EOFError, OSError, _ssh_exception()) as exc:
            error = self._link_error(exc, f"setting up {self.settings.remote_dir} on {self.where}")
            self.close()
            raise error from None
        except BaseException:
            self.close()
            raise

    def _sftp_makedirs(self, path: str) -> None:
        parts = PurePosixPath(path).parts
        for i in range(2, len(parts) + 1):
            p = str(PurePosixPath(*parts[:i]))
            try:
                self._sftp.stat(p)
            except OSError:
                self._sftp.mkdir(p, 0o700)

    def _start_run_dir(self) -> None:
        """Clean up after dead sessions (toolkit.transports.remote_sh), create our run dir, and keep its holder
        process alive with the session."""
        runs = str(PurePosixPath(self.base) / "runs")
        self.run_dir = str(PurePosixPath(runs) / f"{int(time.time())}-{secrets.token_hex(4)}")
        script = holder_script(runs, self.run_dir, str(PurePosixPath(self.base) / "blobs"))
        chan = self._client.get_transport().open_session(timeout=self.settings.connect_timeout)
        chan.exec_command(script)
        line = b""
        deadline = time.monotonic() + self.settings.connect_timeout
        while b"ready\n" not in line:
            if chan.exit_status_ready() and not chan.recv_ready():
                raise DeviceError(f"could not create a run directory under {runs} on {self.where}")
            if time.monotonic() > deadline:
                raise DeviceError(f"timed out creating a run directory on {self.where}")
            select.select([chan], [], [], 0.2)
            if chan.recv_ready():
                line += chan.recv(64)
        self._holder = chan

    def close(self) -> None:
        if self._aborted and self.run_dir:
            self._remove_through_a_new_link([*self._leftovers, self.run_dir])
            self._aborted, self._leftovers = False, []
        try:
            if self._holder is not None and self.run_dir and self._client is not None and self._link_alive():
                self.run(["rm", "-rf", "--", self.run_dir], timeout=60, cwd=False)
        except Exception:  # noqa: BLE001 - a dead link: the next connect removes the directory
            pass
        for obj in (self._holder, self._sftp, self._client, *reversed(self._jumps)):
            try:
                if obj is not None:
                    obj.close()
            except Exception:  # noqa: BLE001
                pass
        self._holder = self._sftp = self._client = None
        self._jumps = []

    def _remove_through_a_new_link(self, paths: list[str]) -> None:
        """After ``_abort_link``: remove ``paths`` (the partial upload, the run directory) through a new
        connection, bounded (this runs while the CLI exits on Ctrl-C). Not with --ask-password (it would prompt
        again): the next connect removes them then, as it does if this fails (toolkit.transports.remote_sh)."""
        if self.settings.ask_password:
            return
        fresh = SshTransport(replace(self.settings, connect_timeout=min(self.settings.connect_timeout, 3.0),
                                     trust_new_host_key=False))

        def login() -> Any:
            fresh._endpoint = endpoint = resolve_endpoint(fresh.settings)
            jump = endpoint.proxy_jump
            sock = jump_sock(fresh.settings, jump, endpoint, fresh._jumps) if jump else None
            fresh._client = open_client(fresh.settings, endpoint, sock, False)
            return fresh._client

        ssh_transfer.remove_through_a_new_link(login, fresh.close, quote_argv(["rm", "-rf", "--", *paths]),
                                             fresh.settings.connect_timeout)

    def python_argv(self) -> list[str]:
        return [self.settings.python]

    # ---- commands -------------------------------------------------------------------------------------------
    def run(self, argv: Sequence[str], *, timeout: float | None = None, cwd: bool = True) -> RunResult:
        """Run argv in this run's directory. Every element is shlex-quoted; ``exit $?`` keeps the shell (not
        the program) as the session process so a signal comes back as status 128+N."""
        if self._client is None:
            raise DeviceError(f"not connected to {self.where}")
        cmd = quote_argv(argv) + "; exit $?"
        if cwd:  # tracked: the session's process group is killed at the timeout, on Ctrl-C, or by the next connect
            cmd = f"cd {shlex.quote(self.run_dir)} || exit 125; " + tracked_command(
                quote_argv(argv), str(PurePosixPath(self.base) / "pids"))
        limit = timeout if timeout is not None else self.settings.run_timeout
        start = time.monotonic()
        try:
            chan = self._client.get_transport().open_session(timeout=self.settings.connect_timeout)
            chan.exec_command(cmd)
        except (EOFError, OSError, _ssh_exception()) as exc:
            raise self._link_error(exc, f"starting {argv[0]} on {self.where}") from None
        out, err = bytearray(), bytearray()
        try:
            while True:
                while chan.recv_ready():
                    out += chan.recv(65536)
                while chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                    break
                if children.CANCEL.is_set():  # Ctrl-C while this ran in a fleet thread
                    self._kill_remote(err)
                    chan.close()
                    raise children.Cancelled(f"{argv[0]} on {self.where}")
                if time.monotonic() - start > limit:
                    self._kill_remote(err)
                    chan.close()
                    raise DeviceError(f"command {argv[0]} timed out after {limit:g}s on {self.where} (stopped there)")
                select.select([chan], [], [], 0.1)
        except BaseException as exc:  # Ctrl-C / SIGTERM: the remote group must not outlive this process
            if not isinstance(exc, DeviceError | children.Cancelled):
                self._kill_remote(err)
            raise
        status = chan.recv_exit_status()
        chan.close()
        err = bytearray(strip_pgid_marker(bytes(err)))
        if status == -1:  # the channel closed without an exit status
            raise self._no_status_error(argv[0], time.monotonic() - start)
        sig = signal_from_status(status)
        return RunResult(tuple(map(str, argv)), status, out.decode(errors="replace"),
                         err.decode(errors="replace"), time.monotonic() - start, sig)

    def _kill_remote(self, err: bytearray) -> None:
        """Kill the remote command's process group (its pgid is the first stderr line); best effort, bounded."""
        pgid = remote_pgid(bytes(err))
        if pgid is None or self._client is None:
            return
        try:
            chan = self._client.get_transport().open_session(timeout=5)
            chan.exec_command(f"kill -KILL -{pgid} 2>/dev/null; rm -f {shlex.quote(self.base)}/pids/{pgid}")
            deadline = time.monotonic() + 5
            while not chan.exit_status_ready() and time.monotonic() < deadline:
                select.select([chan], [], [], 0.1)
            chan.close()
        except Exception:  # noqa: BLE001 - a dead link: the next connect reaps the group (pid file)
            pass

    def _no_status_error(self, program: str, elapsed: float) -> DeviceError:
        """sshd sends no exit status when the link drops, the server dies, or the session process itself was
        killed by a signal (paramiko ignores "exit-signal"): only the first two leave the link dead."""
        if not self._link_alive():
            return DeviceError(f"connection to {self.where} lost while running {program} (after {elapsed:.0f}s)")
        return DeviceError(f"{program} on {self.where} ended without an exit status (killed on the device?)")

    def _link_alive(self) -> bool:
        transport = self._client.get_transport() if self._client is not None else None
        return bool(transport is not None and transport.is_active())

    def _link_error(self, exc: BaseException, doing: str) -> DeviceError:
        """One line for a paramiko/socket failure: a lost link says so; otherwise the remote error."""
        if isinstance(exc, (EOFError, _ssh_exception())) or not self._link_alive():
            return DeviceError(f"{doing} failed: connection lost")
        return DeviceError(f"{doing} failed: {_oserror_text(exc)}")

    # ---- files ----------------------------------------------------------------------------------------------
    def remote_sha256(self, path: str) -> str | None:
        """sha256 of a device file (coreutils/busybox sha256sum, else python3); None if it does not exist."""
        res = self.run(["sha256sum", "--", path], timeout=120, cwd=False)
        if res.returncode == 127:
            code = "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())"
            res = self.run([self.settings.python, "-c", code, path], timeout=120, cwd=False)
        return res.stdout.split()[0].lstrip("\\") if res.ok and res.stdout.strip() else None  # sha256sum escapes odd names with a leading "\\"

    def put_record(self, local: Path, name: str | None = None) -> PutRecord:
        """``put`` returning the details (toolkit.transports.blob_cache).

        A lost link or a device error (disk full) is one DeviceError; the partial upload is removed while the
        link still works, and by the next connect otherwise (it is stamped with this run's id)."""
        try:
            return super().put_record(local, name)
        except (EOFError, OSError, _ssh_exception()) as exc:
            if isinstance(exc, OSError) and exc.filename == str(local):
                raise BadInputError(f"cannot read {local}: {exc.strerror or exc}") from None
            raise self._upload_error(exc, Path(local)) from None

    def _rename_blob(self, tmp: str, blob: str) -> None:
        self._sftp.posix_rename(tmp, blob)

    def _link_blob(self, blob: str, dest: str) -> None:
        try:
            self._sftp.remove(dest)
        except OSError:
            pass
        self._sftp.symlink(blob, dest)

    def _discard_partial(self, tmp: str) -> None:
        if self._aborted:
            self._leftovers.append(tmp)  # removed by close() through a new connection
        elif self._link_alive():
            try:
                self._sftp.remove(tmp)
            except Exception:  # noqa: BLE001 - never there, or already gone
                pass

    def _upload_error(self, exc: BaseException, local: Path) -> DeviceError:
        """A lost link, a full device disk (free space below the file size; paramiko only says "size mismatch
        in put!" or "Failure") or another remote error, in one line."""
        doing = f"upload of {local.name} to {self.where}"
        if isinstance(exc, (EOFError, _ssh_exception())) or not self._link_alive():
            return DeviceError(f"{doing} failed: connection lost")
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.ENOENT):
            return DeviceError(f"{doing} failed: {_oserror_text(exc)} under {self.base}")
        free = self._free_bytes(str(PurePosixPath(self.base) / "blobs"))
        size = local.stat().st_size
        if free is None:
            return DeviceError(f"{doing} failed: device disk full? ({_oserror_text(exc)})")
        if free < size:
            return DeviceError(f"{doing} failed: device disk full? {size:,} bytes needed, {free:,} free "
                               f"under {self.base} ({_oserror_text(exc)})")
        return DeviceError(f"{doing} failed: {_oserror_text(exc)}")

    def _free_bytes(self, path: str) -> int | None:
        """Free bytes of the device file system holding ``path`` (POSIX ``df -P``), None when unknown."""
        try:
            res = self.run(["df", "-Pk", "--", path], timeout=30, cwd=False)
            return int(res.stdout.splitlines()[-1].split()[3]) * 1024 if res.ok else None
        except (ToolkitError, IndexError, ValueError):
            return None

    def _upload_blob(self, local: Path, remote: str, label: str) -> int:
        """Cancellable (toolkit.transports.ssh_transfer): Ctrl-C mid-transfer drops the link at once."""
        size = local.stat().st_size
        show = self.settings.progress if self.settings.progress is not None else sys.stderr.isatty()
        what = f"upload of {printable(label)} to {self.where}"
        with open(local, "rb") as fh:
            def copy(callback: Callable[[int, int], None]) -> None:
                self._sftp.putfo(fh, remote, file_size=size, callback=callback)

            if not show:
                ssh_transfer.transfer(copy, what=what, abort=self._abort_link)
                return size
            from rich.markup import escape
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                          transient=True) as bar:
                name = escape(f"{self.settings.label or self.where}: {printable(label)}")  # names are not markup
                task = bar.add_task(name, total=size)
                ssh_transfer.transfer(copy, what=what, abort=self._abort_link,
                                      progress=lambda done: bar.update(task, completed=done))
        return size

    def _abort_link(self) -> None:
        """Drop the connection now (Ctrl-C mid-transfer); ``close()`` then cleans up through a new one."""
        self._aborted = True
        ssh_transfer.reset_and_close([*self._jumps, self._client])  # the first jump host holds a ProxyJump's socket

    def get(self, remote: str, local: Path) -> None:
        """Fetch ``remote`` (relative: in this run's directory, where the runner writes --outputs-npz) to ``local``
        through a temporary name, so an interrupted transfer never leaves a half file under the real name."""
        if not remote.startswith("/"):
            remote = str(PurePosixPath(self.run_dir) / remote)
        local = Path(local)
        tmp = local.with_name(f".{local.name}.part-{secrets.token_hex(4)}")
        doing = f"fetching {printable(remote)} from {self.where}"
        try:
            ssh_transfer.transfer(lambda callback: self._sftp.get(remote, str(tmp), callback=callback),
                                  what=doing, abort=self._abort_link)
            os.replace(tmp, local)
        except (EOFError, OSError, _ssh_exception()) as exc:
            tmp.unlink(missing_ok=True)
            raise self._link_error(exc, doing) from None
        except BaseException:  # Ctrl-C / SIGTERM / a fleet cancel: the link was reset, no half file kept
            tmp.unlink(missing_ok=True)
            raise


def _ssh_exception() -> type[Exception]:
    """paramiko.SSHException, imported lazily (paramiko is a heavy import)."""
    import paramiko

    return paramiko.SSHException


def _oserror_text(exc: BaseException) -> str:
    text = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
    return " ".join(text.split())
