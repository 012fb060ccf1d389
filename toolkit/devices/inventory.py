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

from pydantic import Field, TypeAdapter, ValidationError

from toolkit.documents import Record
from toolkit.errors import BadInputError, DescriptorError, UnknownNameError
from toolkit.paths import config_dir
from toolkit.transports.adb import AdbEntry
from toolkit.transports.emulator import EmulatorEntry
from toolkit.transports.local import LocalEntry
from toolkit.transports.ssh import SshEntry

FILE_NAME = "devices.toml"
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # used with fullmatch
NAME_RULE = "device names may only contain letters, digits, '-' and '_' (at most 64)"


class _Device(Record):
    """What every entry has besides its transport's settings."""

    name: str = Field("", description="filled from the table name")
    target: str = Field(description="target descriptor name, e.g. rpi4-arm64")
    description: str = ""


# An entry is its transport's own settings model (declared in toolkit/transports/<kind>.py) plus _Device.
# `transport` must be given in the file: the entry models' default kind is not a default here.
class SshDevice(_Device, SshEntry):
    transport: Literal["ssh"]


class AdbDevice(_Device, AdbEntry):
    transport: Literal["adb"]


class LocalDevice(_Device, LocalEntry):
    transport: Literal["local"]


class EmulatorDevice(_Device, EmulatorEntry):
    transport: Literal["emulator"]


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
            raise UnknownNameError(f"device (inventory {self.path})", name, self.names(),
                                   when_empty=f"add one with `edgetk devices add {name} --target T --transport ssh --host H`")
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
            raise BadInputError(f"inventory {file} does not exist (create it with `edgetk devices add NAME --target T "
                                f"--transport ssh --host H --inventory {file}`)")
        return Inventory(file, {})
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DescriptorError(file, None, f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise BadInputError(f"cannot read inventory {file}: {exc.strerror}") from None
    return parse_inventory(file, text)


def parse_inventory(file: Path, text: str) -> Inventory:
    """Validate inventory ``text`` as if read from ``file`` (``devices add`` checks what it will write)."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise DescriptorError(file, None, f"not valid TOML ({detail})") from None
    unknown = sorted(set(data) - {"devices"})
    if unknown:
        raise DescriptorError(file, unknown[0], "unknown key (only [devices.NAME] tables are allowed)")
    tables = data.get("devices", {})
    if not isinstance(tables, dict):
        raise DescriptorError(file, "devices", "must be a table of [devices.NAME] tables")
    for name in tables:
        if not NAME_RE.fullmatch(name):
            raise DescriptorError(file, f"devices.{name!r}", NAME_RULE)
    return Inventory(file, {name: parse_device(file, name, t) for name, t in tables.items()})


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def _check_field_text(name: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, str) and (any(not ch.isprintable() for ch in value)
                                       or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)):
            raise BadInputError(f"--{key.replace('_', '-')} of device '{name}': {value!r} contains control or "
                                f"undecodable characters; pass plain text")


def _check_target(target: str) -> None:
    from toolkit.targets import load_registry

    load_registry().get(target)  # UnknownNameError lists the known ones


def add_device(name: str, fields: dict[str, Any], path: Path | str | None = None) -> tuple[Path, Device]:
    """Validate and append ``[devices.NAME]``; refuses to overwrite an existing entry.

    The read-modify-write runs under the inventory's lock (``toolkit.fileio``): parallel ``devices add`` into
    one file all land; the new text is parsed before it replaces the old, so a rejected entry writes nothing.
    """
    from toolkit import fileio

    if not NAME_RE.fullmatch(name):
        raise BadInputError(f"device name {name!r}: {NAME_RULE}")
    values = {k: v for k, v in fields.items() if v is not None}
    _check_field_text(name, values)
    file = inventory_path(path)
    device = parse_device(file, name, values)
    lines = [f"[devices.{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]

    def append(existing: str) -> str:
        if existing and name in parse_inventory(file, existing).devices:
            raise BadInputError(f"device '{name}' already exists in {file}")
        _check_target(device.target)
        sep = "" if not existing or existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        return existing + sep + "\n".join(lines) + "\n"

    fileio.update_text(file, append, validate=lambda text: parse_inventory(file, text))
    return file, device
