"""Host-key policy for SSH devices: known_hosts is read as OpenSSH reads it, an unknown key is refused with
the way to verify it, a changed key is refused loudly, and trusting a new key (appending it to known_hosts)
happens only on an explicit request (--trust-new-host-key). A device on a lab network is exactly where a
spoofed host would go unnoticed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit import fileio
from toolkit.errors import BadInputError, HostKeyError
from toolkit.transports.ssh_config import Endpoint

__all__ = ["RejectUnknownHost", "TrustOnFirstUse", "changed_key_error", "key_fingerprint", "load_known_hosts"]


def load_known_hosts(client: Any, known: Path) -> None:
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


def verify_hint(endpoint: Endpoint, known_hosts: Path) -> str:
    return (
        f"verify the fingerprint on the device (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) or with "
        f"`ssh-keyscan -p {endpoint.port} {endpoint.hostname} | ssh-keygen -lf -`, then add it to {known_hosts} "
        f"or re-run with --trust-new-host-key"
    )


class RejectUnknownHost:
    """paramiko MissingHostKeyPolicy (duck-typed): refuse, saying how to verify the key."""

    def __init__(self, endpoint: Endpoint, known_hosts: Path) -> None:
        self.endpoint, self.known_hosts = endpoint, known_hosts

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        raise HostKeyError(
            f"unknown host key for {hostname} ({key_fingerprint(key)}) not in {self.known_hosts}; "
            + verify_hint(self.endpoint, self.known_hosts)
        )


class TrustOnFirstUse:
    """Accept an unknown (never a changed) key and append it to known_hosts — only with an explicit flag."""

    def __init__(self, known_hosts: Path) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # under the file's lock, atomically, adding the newline a hand-edited file may lack
        fileio.append_line(self.known_hosts, f"{hostname} {key.get_name()} {key.get_base64()}", mode=0o600)
        client.get_host_keys().add(hostname, key.get_name(), key)


def changed_key_error(endpoint: Endpoint, known: Path, expected: Any, offered: Any) -> HostKeyError:
    """The server offers a key other than the one known_hosts has for it (paramiko.BadHostKeyException)."""
    return HostKeyError(
        f"host key for {endpoint.known_hosts_name} CHANGED: known_hosts {known} has "
        f"{key_fingerprint(expected)}, the server offers {key_fingerprint(offered)} — possibly a "
        f"man-in-the-middle; if the device was reinstalled, remove the old key with "
        f"`ssh-keygen -R '{endpoint.known_hosts_name}' -f {known}` and "
        + verify_hint(endpoint, known)
    )
