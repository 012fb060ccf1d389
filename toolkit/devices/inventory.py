"""devices.toml: the named devices a user benches on, and how to reach each one.

```toml
[devices.pi4]
target = "rpi4-arm64"
transport = "ssh"
host = "pi4"                 # a ~/.ssh/config alias or a host name
user = "pi"
password_env = "PI4_PASSWORD" # the NAME of an environment variable, never the password itself

[devices.pixel]
target = "android-arm64"
transport = "adb"
serial = "R58M123ABC"
```

Looked up in ``--inventory PATH``, else ./devices.toml, else ``<config dir>/devices.toml``. Unknown keys are
errors naming the file and the key (a typo in ``identity_file`` must not silently fall back to the agent).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from toolkit.errors import BadInputError, DescriptorError, UnknownNameError
from toolkit.paths import config_dir

FILE_NAME = "devices.toml"
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class _Device(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field("", description="filled from the table name")
    target: str = Field(description="target descriptor name, e.g. rpi4-arm64")
    description: str = ""


class SshDevice(_Device):
    transport: Literal["ssh"]
    host: str = Field(description="host name, address, or ~/.ssh/config alias")
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = None
    identity_file: str | None = None
    known_hosts: str | None = None
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    connect_timeout: float = Field(10.0, gt=0)
    run_timeout: float = Field(600.0, gt=0)
    remote_dir: str = "~/.cache/edgetk"
    python: str = "python3"


class AdbDevice(_Device):
    transport: Literal["adb"]
    serial: str | None = None
    adb: str = "adb"
    remote_dir: str = "/data/local/tmp/edgetk"
    python: str = "python3"
    run_timeout: float = Field(600.0, gt=0)


class LocalDevice(_Device):
    transport: Literal["local"]


class EmulatorDevice(_Device):
    transport: Literal["emulator"]
    image: str | None = Field(None, description="emulator image; default: the target descriptor's reach.image")


Device = Annotated[SshDevice | AdbDevice | LocalDevice | EmulatorDevice, Field(discriminator="transport")]
_DEVICE = TypeAdapter(Device)
_FIELDS = {cls.model_fields["transport"].annotation.__args__[0]: cls
           for cls in (SshDevice, AdbDevice, LocalDevice, EmulatorDevice)}


@dataclass(frozen=True)
class Inventory:
    path: Path
    devices: dict[str, Device]

    def names(self) -> list[str]:
        return sorted(self.devices)

    def get(self, name: str) -> Device:
        if name not in self.devices:
            raise UnknownNameError(f"device (inventory {self.path})", name, self.names())
        return self.devices[name]


def inventory_path(explicit: Path | str | None = None) -> Path:
    """The inventory file in use: explicit, else ./devices.toml, else the user's config dir."""
    if explicit:
        return Path(explicit)
    local = Path.cwd() / FILE_NAME
    return local if local.is_file() else config_dir() / FILE_NAME


def _error(path: Path, name: str, exc: ValidationError) -> DescriptorError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"] if str(p) not in _FIELDS]  # drop the union tag from the location
    key = ".".join(["devices", name, *loc])
    if err["type"] == "extra_forbidden":
        allowed = sorted(set(_FIELDS.get(_transport_of(exc), _Device).model_fields) - {"name"})
        return DescriptorError(path, key, f"unknown key (allowed: {', '.join(allowed)})")
    if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
        return DescriptorError(path, f"devices.{name}.transport", f"must be one of {', '.join(_FIELDS)}")
    return DescriptorError(path, key, err["msg"])


def _transport_of(exc: ValidationError) -> str:
    for err in exc.errors():
        for part in err["loc"]:
            if str(part) in _FIELDS:
                return str(part)
    return ""


def parse_device(path: Path, name: str, table: Any) -> Device:
    if not isinstance(table, dict):
        raise DescriptorError(path, f"devices.{name}", "must be a table")
    try:
        return _DEVICE.validate_python({**table, "name": name})
    except ValidationError as exc:
        raise _error(path, name, exc) from None


def load_inventory(path: Path | str | None = None) -> Inventory:
    """Read and validate the inventory; a missing file is an empty inventory (``devices add`` creates it)."""
    file = inventory_path(path)
    if not file.is_file():
        if path:
            raise BadInputError(f"inventory {file} does not exist")
        return Inventory(file, {})
    try:
        data = tomllib.loads(file.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DescriptorError(file, None, f"not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"devices"})
    if unknown:
        raise DescriptorError(file, unknown[0], "unknown key (only [devices.NAME] tables are allowed)")
    tables = data.get("devices", {})
    if not isinstance(tables, dict):
        raise DescriptorError(file, "devices", "must be a table of [devices.NAME] tables")
    return Inventory(file, {name: parse_device(file, name, t) for name, t in tables.items()})


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def add_device(name: str, fields: dict[str, Any], path: Path | str | None = None) -> tuple[Path, Device]:
    """Validate and append ``[devices.NAME]``; refuses to overwrite an existing entry."""
    if not NAME_RE.match(name):
        raise BadInputError(f"device name {name!r} may only contain letters, digits, '-' and '_'")
    inventory = load_inventory(path) if path is None or Path(path).is_file() else Inventory(Path(path), {})
    if name in inventory.devices:
        raise BadInputError(f"device '{name}' already exists in {inventory.path}")
    values = {k: v for k, v in fields.items() if v is not None}
    device = parse_device(inventory.path, name, values)
    lines = [f"[devices.{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    inventory.path.parent.mkdir(parents=True, exist_ok=True)
    existing = inventory.path.read_text() if inventory.path.is_file() else ""
    sep = "" if not existing or existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
    inventory.path.write_text(existing + sep + "\n".join(lines) + "\n")
    load_inventory(inventory.path)  # what we wrote must read back
    return inventory.path, device
