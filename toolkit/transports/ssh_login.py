"""Log in to an SSH device with paramiko: identity files checked first, a password from the environment
variable *named* in the settings or a prompt, ProxyJump hops, and the host-key policy of
``toolkit.transports.ssh_host_keys`` on every hop. Every failure is one error line saying what was tried.

A password is handed to paramiko and dropped: it is never stored, logged, or put into an exception.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from toolkit.errors import BadInputError, DeviceError, HostKeyError
from toolkit.text import inert
from toolkit.transports.blob_cache import printable
from toolkit.transports.ssh_config import Endpoint, SshSettings, resolve_endpoint
from toolkit.transports.ssh_host_keys import (
    RejectUnknownHost,
    TrustOnFirstUse,
    changed_key_error,
    load_known_hosts,
)

__all__ = ["check_identity_files", "jump_sock", "open_client", "read_password"]

_PROMPT_LOCK = threading.Lock()


def open_client(settings: SshSettings, endpoint: Endpoint, sock: Any, trust_new: bool) -> Any:
    """A logged-in ``paramiko.SSHClient`` to ``endpoint`` (through ``sock``, a jump host's channel, if given)."""
    import paramiko

    where = f"{endpoint.user}@{endpoint.hostname}:{endpoint.port}"
    known = Path(settings.known_hosts or "~/.ssh/known_hosts").expanduser()
    client = paramiko.SSHClient()
    load_known_hosts(client, known)
    policy = TrustOnFirstUse(known) if trust_new else RejectUnknownHost(endpoint, known)
    client.set_missing_host_key_policy(policy)
    check_identity_files(endpoint.identity_files, settings.label or endpoint.hostname)
    password = read_password(settings, where)  # local only: never stored
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
            timeout=settings.connect_timeout,
            banner_timeout=settings.connect_timeout,
            auth_timeout=settings.connect_timeout,
            sock=sock,
        )
    except HostKeyError:
        client.close()
        raise
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise changed_key_error(endpoint, known, exc.expected_key, exc.key) from None
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
            f"cannot reach {where}: {reason} (connect timeout {settings.connect_timeout:g}s)"
        ) from None
    finally:
        password = None
    return client


def read_password(s: SshSettings, where: str) -> str | None:
    """--ask-password (an explicit request) wins over password_env; prompts from parallel fleet threads
    are serialised so each one is answered for the device it names."""
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


def _has_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def jump_sock(settings: SshSettings, proxy_jump: str, endpoint: Endpoint, jumps: list[Any]) -> Any:
    """ProxyJump: hop through each jump host (checked against the same known_hosts) with direct-tcpip. Each
    hop's client is appended to ``jumps`` as soon as it is open (the caller closes them)."""
    hops = []
    for hop in (h.strip() for h in proxy_jump.split(",") if h.strip()):
        user, _, hostport = hop.rpartition("@")
        host, _, port = hostport.partition(":")
        hop_settings = replace(settings, host=host, port=int(port) if port else None, user=user or None,
                               identity_file=None, password_env=None, ask_password=False, label=printable(hop))
        hops.append((hop_settings, replace(resolve_endpoint(hop_settings), proxy_jump=None)))
    sock = None
    for i, (hop_settings, hop_ep) in enumerate(hops):
        client = open_client(hop_settings, hop_ep, sock, settings.trust_new_host_key)
        jumps.append(client)
        dest = endpoint if i == len(hops) - 1 else hops[i + 1][1]
        sock = client.get_transport().open_channel(
            "direct-tcpip", (dest.hostname, dest.port), ("127.0.0.1", 0), timeout=settings.connect_timeout
        )
    return sock


def check_identity_files(files: tuple[str, ...], device: str) -> None:
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
