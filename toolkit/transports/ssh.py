"""Reach a Linux board (Raspberry Pi, Jetson, any SBC) over SSH with paramiko.

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
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import Field

from toolkit import children, fileio
from toolkit.errors import BadInputError, DeviceError, HostKeyError, ToolkitError
from toolkit.text import inert
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

__all__ = ["PutRecord", "SshSettings", "SshTransport", "check_remote_dir", "check_remote_name", "printable",
           "quote_argv", "signal_from_status"]

DEFAULT_REMOTE_DIR = "~/.cache/edgetk"
_PROMPT_LOCK = threading.Lock()


class SshEntry(TransportEntry):
    """An SSH device as devices.toml stores it (the inventory's ssh entries are this model)."""

    transport: Literal["ssh"] = "ssh"
    host: str = Field(description="host name, address, or ~/.ssh/config alias")
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = None
    identity_file: str | None = None
    known_hosts: str | None = None
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                     description="the NAME of an environment variable, never the password")
    connect_timeout: float = Field(10.0, gt=0)
    run_timeout: float = Field(600.0, gt=0)
    remote_dir: str = DEFAULT_REMOTE_DIR
    python: str = "python3"


@dataclass(frozen=True)
class SshSettings:
    """How to reach one SSH device. ``host`` may be a ~/.ssh/config alias; explicit fields win over the config."""

    host: str
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    known_hosts: str | None = None  # default ~/.ssh/known_hosts
    password_env: str | None = None  # the NAME of an environment variable holding the password
    ask_password: bool = False  # prompt on the terminal at connect time
    connect_timeout: float = 10.0
    run_timeout: float = 600.0
    remote_dir: str = DEFAULT_REMOTE_DIR
    python: str = "python3"
    trust_new_host_key: bool = False
    ssh_config: str | None = None  # default ~/.ssh/config
    keepalive_s: int = 15
    progress: bool | None = None  # None: show upload bars when stderr is a terminal
    label: str = ""  # device name for messages


@dataclass(frozen=True)
class Endpoint:
    """The address a settings entry resolves to after ~/.ssh/config is applied."""

    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...]
    proxy_jump: str | None

    @property
    def known_hosts_name(self) -> str:
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"


def resolve_endpoint(settings: SshSettings) -> Endpoint:
    """Apply ~/.ssh/config (HostName, Port, User, IdentityFile, ProxyJump) under the explicit settings."""
    import paramiko

    cfg_path = Path(settings.ssh_config or "~/.ssh/config").expanduser()
    conf: dict[str, Any] = {}
    if cfg_path.is_file():
        conf = dict(paramiko.SSHConfig.from_path(str(cfg_path)).lookup(settings.host))
    hostname = conf.get("hostname", settings.host)
    try:
        port = settings.port or int(conf.get("port", 22))
    except ValueError:
        raise BadInputError(f"{cfg_path}: Port {conf.get('port')!r} for host {settings.host} is not a number; "
                            f"fix the ssh config or pass --port") from None
    if not 0 < port < 65536:
        raise BadInputError(f"{cfg_path}: Port {port} for host {settings.host} is out of range 1-65535")
    user = settings.user or conf.get("user") or _local_user()
    files = [settings.identity_file] if settings.identity_file else list(conf.get("identityfile", []))
    files = [str(Path(f).expanduser()) for f in files]
    if settings.identity_file and not Path(files[0]).is_file():
        raise BadInputError(f"identity file {files[0]} does not exist (device {settings.label or settings.host})")
    files = [f for f in files if Path(f).is_file()]  # ssh skips missing defaults from the config too
    jump = conf.get("proxyjump")
    return Endpoint(hostname, port, user, tuple(files), None if jump in (None, "none") else jump)


def _local_user() -> str:
    import getpass

    return getpass.getuser()


def _has_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def _load_known_hosts(client: Any, known: Path) -> None:
    """Load known_hosts as OpenSSH does: a line it cannot parse (bad base64, an unknown key type) is skipped,
    not a reason to refuse every host. paramiko's own loader raises on the first bad line."""
    from paramiko.hostkeys import HostKeyEntry

    if not known.is_file():
        return
    keys = client.get_host_keys()
    try:
        lines = known.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise BadInputError(f"cannot read known_hosts {known}: {exc.strerror}") from None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            entry = HostKeyEntry.from_line(line)
        except Exception:  # noqa: BLE001 - paramiko raises several types for one malformed line
            continue
        if entry is not None:
            keys._entries.append(entry)


def key_fingerprint(key: Any) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def _verify_hint(endpoint: Endpoint, known_hosts: Path) -> str:
    return (
        f"verify the fingerprint on the device (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) or with "
        f"`ssh-keyscan -p {endpoint.port} {endpoint.hostname} | ssh-keygen -lf -`, then add it to {known_hosts} "
        f"or re-run with --trust-new-host-key"
    )


class _RejectUnknownHost:
    """paramiko MissingHostKeyPolicy (duck-typed): refuse, saying how to verify the key."""

    def __init__(self, endpoint: Endpoint, known_hosts: Path) -> None:
        self.endpoint, self.known_hosts = endpoint, known_hosts

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        raise HostKeyError(
            f"unknown host key for {hostname} ({key_fingerprint(key)}) not in {self.known_hosts}; "
            + _verify_hint(self.endpoint, self.known_hosts)
        )


class _TrustOnFirstUse:
    """Accept an unknown (never a changed) key and append it to known_hosts — only with an explicit flag."""

    def __init__(self, known_hosts: Path) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # under the file's lock, atomically, adding the newline a hand-edited file may lack
        fileio.append_line(self.known_hosts, f"{hostname} {key.get_name()} {key.get_base64()}", mode=0o600)
        client.get_host_keys().add(hostname, key.get_name(), key)


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
        sock = self._jump_sock(endpoint.proxy_jump, endpoint) if endpoint.proxy_jump else None
        self._client = self._open_client(endpoint, sock, self.settings.trust_new_host_key)
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

    def _open_client(self, endpoint: Endpoint, sock: Any, trust_new: bool) -> Any:
        import paramiko

        where = f"{endpoint.user}@{endpoint.hostname}:{endpoint.port}"
        known = Path(self.settings.known_hosts or "~/.ssh/known_hosts").expanduser()
        client = paramiko.SSHClient()
        _load_known_hosts(client, known)
        policy = _TrustOnFirstUse(known) if trust_new else _RejectUnknownHost(endpoint, known)
        client.set_missing_host_key_policy(policy)
        _check_identity_files(endpoint.identity_files, self.settings.label or endpoint.hostname)
        password = self._read_password(where)  # local only: never stored on self
        tried = [f"key {f}" for f in endpoint.identity_files] + ["ssh-agent"] + (["password"] if password else [])
        try:
            client.connect(
                endpoint.hostname,
                port=endpoint.port,
                username=endpoint.user,
                key_filename=list(endpoint.identity_files) or None,
                password=password,
                allow_agent=True,
                look_for_keys=not endpoint.identity_files,
                timeout=self.settings.connect_timeout,
                banner_timeout=self.settings.connect_timeout,
                auth_timeout=self.settings.connect_timeout,
                sock=sock,
            )
        except HostKeyError:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise HostKeyError(
                f"host key for {endpoint.known_hosts_name} CHANGED: known_hosts {known} has "
                f"{key_fingerprint(exc.expected_key)}, the server offers {key_fingerprint(exc.key)} — possibly a "
                f"man-in-the-middle; if the device was reinstalled, remove the old key with "
                f"`ssh-keygen -R '{endpoint.known_hosts_name}' -f {known}` and "
                + _verify_hint(endpoint, known)
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise DeviceError(
                f"authentication failed for {where} (tried {', '.join(tried)}); check that the public key "
                f"is in ~/.ssh/authorized_keys of {endpoint.user} on the device"
            ) from None
        except (OSError, paramiko.SSHException) as exc:
            client.close()
            reason = "timed out" if isinstance(exc, socket.timeout) else (str(exc) or type(exc).__name__)
            raise DeviceError(
                f"cannot reach {where}: {reason} (connect timeout {self.settings.connect_timeout:g}s)"
            ) from None
        finally:
            password = None
        return client

    def _read_password(self, where: str) -> str | None:
        """--ask-password (an explicit request) wins over password_env; prompts from parallel fleet threads
        are serialised so each one is answered for the device it names."""
        s = self.settings
        if s.ask_password:
            import getpass

            with _PROMPT_LOCK:
                if not _has_terminal():  # CI: one line from stdin (getpass would add a GetPassWarning)
                    sys.stderr.write(f"password for {where} ({s.label or s.host}) from stdin\n")
                    line = sys.stdin.readline() if sys.stdin else ""
                    if not line:
                        raise BadInputError(f"--ask-password: no password was entered for {where}")
                    return line.rstrip("\r\n")
                try:
                    return getpass.getpass(f"password for {where} ({s.label or s.host}): ")
                except EOFError:
                    raise BadInputError(f"--ask-password: no password was entered for {where}") from None
        if s.password_env:
            if s.password_env not in os.environ:
                raise BadInputError(f"password_env names ${s.password_env}, which is not set")
            return os.environ[s.password_env]
        return None

    def _jump_sock(self, proxy_jump: str, endpoint: Endpoint) -> Any:
        """ProxyJump: hop through each jump host (checked against the same known_hosts) with direct-tcpip."""
        hops = []
        for hop in (h.strip() for h in proxy_jump.split(",") if h.strip()):
            user, _, hostport = hop.rpartition("@")
            host, _, port = hostport.partition(":")
            hop_settings = replace(self.settings, host=host, port=int(port) if port else None, user=user or None,
                                   identity_file=None, password_env=None, ask_password=False, label=hop)
            hops.append((hop_settings, replace(resolve_endpoint(hop_settings), proxy_jump=None)))
        sock = None
        for i, (hop_settings, hop_ep) in enumerate(hops):
            client = SshTransport(hop_settings)._open_client(hop_ep, sock, self.settings.trust_new_host_key)
            self._jumps.append(client)
            dest = endpoint if i == len(hops) - 1 else hops[i + 1][1]
            sock = client.get_transport().open_channel(
                "direct-tcpip", (dest.hostname, dest.port), ("127.0.0.1", 0), timeout=self.settings.connect_timeout
            )
        return sock

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
            sock = fresh._jump_sock(endpoint.proxy_jump, endpoint) if endpoint.proxy_jump else None
            fresh._client = fresh._open_client(endpoint, sock, False)
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


def _check_identity_files(files: tuple[str, ...], device: str) -> None:
    """Each identity file that exists is a private key paramiko can read (an encrypted one counts): a garbage,
    empty or public-key file is the user's mistake, one line naming it (paramiko itself fails deep inside
    with a UnicodeDecodeError or ValueError, which was exit 70)."""
    import paramiko

    for name in files:
        path = Path(name).expanduser()
        if not path.is_file():
            continue
        try:
            paramiko.PKey.from_path(path)
        except paramiko.PasswordRequiredException:
            continue  # encrypted: its passphrase comes at connect time
        except (ValueError, TypeError, IndexError, paramiko.SSHException) as exc:
            if "password" in str(exc).lower():  # cryptography's words for an encrypted OpenSSH key
                continue
            reason = inert(str(exc).split(" See https://", 1)[0].strip() or type(exc).__name__)[:100]
            raise BadInputError(f"identity file {inert(str(path))} is not a private key edgetk can read "
                                f"({reason}; device {inert(device)}): point identity_file at the private key "
                                f"(not the .pub) that ssh-keygen wrote") from None


def _ssh_exception() -> type[Exception]:
    """paramiko.SSHException, imported lazily (paramiko is a heavy import)."""
    import paramiko

    return paramiko.SSHException


def _oserror_text(exc: BaseException) -> str:
    text = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
    return " ".join(text.split())
