"""A real OpenSSH server on 127.0.0.1 for the SSH transport tests (no systemd, no mocks).

The server runs from its own sshd_config, host key and PidFile in a temp dir, on a free high port, allows
only the test users (created with useradd if missing; we run as root), keys only (no passwords, no PAM).
Readiness is polled by reading the SSH banner. ``PermitUserEnvironment`` lets a user's ~/.ssh/environment put
a ``python3`` shim first on PATH: that is how a host account becomes a device whose Python is really aarch64
(the shim execs the emulated interpreter of the Debian 12 arm64 image via qemu-user).

sshd runs below a child subreaper (runtime_tests/subreaper.py) that reaps the processes each session orphans
as it ends; ``stop`` fails if a zombie of the test users is left.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime_tests.subreaper import Spawned, Subreaper

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path, kind: str = "ed25519") -> Path:
    """A passphrase-less key pair at ``path`` / ``path.pub``."""
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "edgetk-test", "-f", str(path)], check=True)
    return path


def ensure_user(name: str) -> Path:
    """Create the test user if missing (unlocked with '*' so key auth works) and return its home."""
    try:
        home = Path(pwd.getpwnam(name).pw_dir)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
        home = Path(pwd.getpwnam(name).pw_dir)
    subprocess.run(["usermod", "-p", "*", name], check=True)
    return home


def _chown_tree(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for p in [path, *path.rglob("*")]:
        os.lchown(p, pw.pw_uid, pw.pw_gid)


def authorize(user: str, pubkey: Path, *, arm_image: Path | None = None) -> Path:
    """Install ``pubkey`` as the user's only authorized key; wipe the edgetk remote cache for a clean start.

    With ``arm_image`` the user's PATH (via ~/.ssh/environment) starts with a qemu-user ``python3`` shim.
    """
    home = ensure_user(user)
    pw = pwd.getpwnam(user)
    os.chown(home, pw.pw_uid, pw.pw_gid)  # a home left by an earlier user of the same name may carry its uid
    os.chmod(home, 0o755)
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(pubkey.read_text())
    env_file = ssh_dir / "environment"
    if arm_image:
        python_shim(home / "bin", arm_image, user)
        env_file.write_text(f"PATH={home / 'bin'}:/usr/bin:/bin\n")
    else:
        env_file.unlink(missing_ok=True)
    shutil.rmtree(home / ".cache" / "edgetk", ignore_errors=True)
    _chown_tree(ssh_dir, user)
    for p in ssh_dir.iterdir():
        p.chmod(0o600)
    return home


def start_server(
    workdir: Path, users: list[str], arm_image: Path | None = None, *, password_auth: bool = False
) -> SshServer:
    """sshd for ``users`` (one shared client key ``workdir/client_key``) and a matching known_hosts file.

    ``password_auth`` also allows passwords (set one with ``set_password``), for the --ask-password tests."""
    workdir.mkdir(parents=True, exist_ok=True)
    key = keygen(workdir / "client_key")
    for user in users:
        authorize(user, key.with_suffix(".pub"), arm_image=arm_image)
    srv = SshServer(workdir, users, password_auth=password_auth).start()
    (workdir / "known_hosts").write_text(srv.known_hosts_line())
    return srv


@dataclass
class SshServer:
    workdir: Path
    users: list[str]
    port: int = field(default_factory=free_port)
    proc: Spawned | None = None  # sshd, a child of ``reaper``
    password_auth: bool = False
    reaper: Subreaper | None = None
    zombies_before: set[int] = field(default_factory=set)

    @property
    def orphans_parent(self) -> str:
        """The PPID an orphaned session process gets: the subreaper (on a board: init, PID 1)."""
        return str(self.reaper.proc.pid) if self.reaper else "1"

    @property
    def client_key(self) -> Path:
        return self.workdir / "client_key"

    @property
    def known_hosts(self) -> Path:
        return self.workdir / "known_hosts"

    @property
    def host_key(self) -> Path:
        return self.workdir / "ssh_host_ed25519_key"

    def known_hosts_line(self) -> str:
        kind, b64 = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {b64}\n"

    def start(self, timeout: float = 20.0) -> SshServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.host_key.exists():
            keygen(self.host_key)
        config = self.workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {self.port}",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.workdir / 'sshd.pid'}",
                    "PermitRootLogin no",
                    f"PasswordAuthentication {'yes' if self.password_auth else 'no'}",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "PermitUserEnvironment yes",
                    f"AllowUsers {' '.join(self.users)}",
                    "Subsystem sftp internal-sftp",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        if self.reaper is None:  # kept across a restart: it reaps what a killed server's sessions leave
            self.zombies_before = user_zombies(self.users)
            self.reaper = Subreaper()
        self.proc = self.reaper.spawn([SSHD, "-D", "-e", "-f", str(config)], self.workdir / "sshd.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.workdir / 'sshd.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-2.0"):
                        return self
            except OSError:
                time.sleep(0.05)  # poll interval while sshd binds its port
        raise RuntimeError("sshd did not accept connections in time")

    def stop(self) -> None:
        """Stop sshd, then the subreaper (it kills and reaps what still runs below it); fails if a zombie of
        the test users is left (one nobody waited for: it would sit there until PID 1 reaps it)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.reaper is not None:
            self.reaper.close()
            self.reaper = None
            left = user_zombies(self.users) - self.zombies_before
            assert not left, f"the sshd sessions left zombies nobody reaps: {describe(left)}"


def user_zombies(users: list[str]) -> set[int]:
    """Zombie processes owned by ``users`` (a zombie keeps its uid in /proc/PID/status)."""
    uids = {str(pwd.getpwnam(u).pw_uid) for u in users}
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(") ", 1)[1].startswith("Z"):
                status = stat.with_name("status").read_text()
                if status.split("\nUid:\t", 1)[1].split()[0] in uids:
                    found.add(int(stat.parent.name))
        except (OSError, IndexError):
            continue  # gone meanwhile
    return found


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (/proc/PID/task/TID/children, recursively)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                kids = {int(p) for p in task.read_text().split()} - found
            except OSError:
                continue
            found |= kids
            todo.extend(kids)
    return found


def describe(pids: set[int]) -> str:
    """``PID comm (parent PPID)`` for each pid still there."""
    parts = []
    for pid in sorted(pids):
        try:
            comm, rest = Path(f"/proc/{pid}/stat").read_text().split(" (", 1)[1].rsplit(") ", 1)
            parts.append(f"{pid} {comm} ({rest.split()[0]}, parent {rest.split()[1]})")
        except (OSError, IndexError, ValueError):
            continue
    return ", ".join(parts) or "none"


def set_password(user: str, password: str) -> None:
    """Give a test user a password (chpasswd reads it from stdin: never on a command line)."""
    subprocess.run(["chpasswd"], input=f"{user}:{password}\n", text=True, check=True)


def python_shim(bin_dir: Path, image_dir: Path, user: str) -> Path:
    """A ``python3`` on PATH that runs the arm64 image's interpreter under qemu-user: the device's Python,
    numpy and runtime are really aarch64 code; the shell and coreutils around them are the host's."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "python3"
    shim.write_text(
        "#!/bin/sh\n"
        "export PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 LC_ALL=C.UTF-8\n"
        f'exec /usr/bin/qemu-aarch64-static -L "{image_dir}" -cpu cortex-a72 -0 python3 "{image_dir}/usr/bin/python3" "$@"\n'
    )
    shim.chmod(0o755)
    _chown_tree(bin_dir, user)
    return shim


def arm_image_root() -> Path:
    """The shared Debian 12 arm64 image (built once into the tests' shared cache), or skip with the reason.

    Module/session fixtures run outside the per-test EDGETK_CACHE monkeypatch, so the cache is set here.
    The test users' python3 shim must reach the image: when the checkout sits below a directory others
    cannot traverse (e.g. under /root), a copy goes to a world-readable place under /var/tmp.
    """
    import pytest

    from conftest import SHARED_CACHE
    from toolkit.emulator import ensure_image

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EDGETK_CACHE", SHARED_CACHE)
        try:
            root = ensure_image("debian12-arm64").root
        except Exception as exc:  # noqa: BLE001 - reported as the skip reason
            pytest.skip(f"the Debian 12 arm64 emulator image cannot be built here: {exc}")
    return root if _others_can_reach(root) else _world_readable_copy(root)


def _others_can_reach(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def _world_readable_copy(root: Path) -> Path:
    """Copy the image rootfs to /var/tmp/edgetk-test-images/<manifest hash>/rootfs (once per image build)."""
    import hashlib

    manifest = root.parent / "manifest.json"
    stamp = hashlib.sha256(manifest.read_bytes()).hexdigest()[:16] if manifest.is_file() else "unversioned"
    base = Path("/var/tmp/edgetk-test-images")
    dest = base / stamp / "rootfs"
    if not dest.is_dir():
        base.mkdir(mode=0o755, exist_ok=True)
        partial = base / f".{stamp}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        # cp -a, not shutil.copytree: the rootfs has device nodes (dev/zero) that copytree would read forever
        subprocess.run(["cp", "-a", "--", str(root), str(partial / "rootfs")], check=True)
        partial.chmod(0o755)
        partial.rename(base / stamp)
    return dest
