"""Loopback SSH devices for the suite: a real OpenSSH sshd on 127.0.0.1 and a devices.toml naming its users.

Reuses runtime_tests/sshd.py (the SSH tests' server helpers), so the suite measures the same set-up the
tests prove correct. Needs root (it creates the device users), like those tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.harness import REPO
from runtime_tests.sshd import SshServer, start_server


def start(workdir: Path, users: list[str], arm_image: Path | None = None) -> SshServer:
    return start_server(workdir, users, arm_image=arm_image)


def write_inventory(path: Path, srv: SshServer, users: list[str], target: str = "rpi4-arm64") -> Path:
    text = ""
    for user in users:
        text += (f'[devices.{user}]\ntarget = "{target}"\ntransport = "ssh"\nhost = "127.0.0.1"\n'
                 f'port = {srv.port}\nuser = "{user}"\nidentity_file = "{srv.client_key}"\n'
                 f'known_hosts = "{srv.known_hosts}"\n\n')
    path.write_text(text)
    return path


def wipe_remote_cache(user: str) -> None:
    """Forget everything edgetk put on the device, so the next deploy is a first deploy."""
    shutil.rmtree(Path("/home") / user / ".cache" / "edgetk", ignore_errors=True)


def scp_argv(srv: SshServer, user: str, local: Path, remote: str) -> list[str]:
    return ["scp", "-q", "-B", "-P", str(srv.port), "-i", str(srv.client_key),
            "-o", f"UserKnownHostsFile={srv.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            str(local), f"{user}@127.0.0.1:{remote}"]


def arm_image_for_device_users() -> Path:
    """The Debian 12 arm64 image at a path the unprivileged device users can read.

    The default cache under /root is private (mode 700), so the users' qemu shim could not open it; then
    the image is restored into the repo's shared test cache (.venv/edgetk-cache, as runtime_tests use).
    """
    import os

    from toolkit.emulator import ensure_image

    root = ensure_image("debian12-arm64").root
    if all(p.stat().st_mode & 0o001 for p in (root, *root.parents)):
        return root
    old = os.environ.get("EDGETK_CACHE")
    os.environ["EDGETK_CACHE"] = str(REPO / ".venv" / "edgetk-cache")
    try:
        return ensure_image("debian12-arm64").root
    finally:
        if old is None:
            os.environ.pop("EDGETK_CACHE", None)
        else:
            os.environ["EDGETK_CACHE"] = old
