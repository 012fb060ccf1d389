"""How an SSH device is described and where it is: the devices.toml entry, the settings a transport is made
from, and the endpoint they resolve to once ~/.ssh/config (HostName, Port, User, IdentityFile, ProxyJump) is
applied under them. Explicit settings win over the config; nothing here opens a connection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from toolkit.errors import BadInputError
from toolkit.transports.base import TransportEntry

__all__ = ["DEFAULT_REMOTE_DIR", "Endpoint", "SshEntry", "SshSettings", "resolve_endpoint"]

DEFAULT_REMOTE_DIR = "~/.cache/edgetk"


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
