"""The one transport registry: each kind's entry model (its settings, declared in its own module) and class.

``transport_for(entry, options)`` is the one dispatch from settings to a ready-to-connect ``Transport``. The
device inventory's entry types are built from ``INVENTORY_KINDS`` (toolkit.devices.inventory) and a target's
``reach`` becomes an entry here (``for_target``), so no other module lists the transports.
"""

from __future__ import annotations

from typing import Any

from toolkit.errors import BadInputError
from toolkit.transports.adb import AdbEntry, AdbTransport
from toolkit.transports.base import ConnectOptions, Transport, TransportEntry
from toolkit.transports.emulator import EmulatorEntry, EmulatorTransport
from toolkit.transports.local import LocalEntry, LocalTransport
from toolkit.transports.ssh import SshEntry, SshTransport
from toolkit.transports.tflm import TflmEntry, TflmTransport

#: kind -> (entry model, transport class)
TRANSPORTS: dict[str, tuple[type[TransportEntry], type[Transport]]] = {
    "local": (LocalEntry, LocalTransport),
    "tflm": (TflmEntry, TflmTransport),
    "emulator": (EmulatorEntry, EmulatorTransport),
    "ssh": (SshEntry, SshTransport),
    "adb": (AdbEntry, AdbTransport),
}
#: the kinds a devices.toml entry may use (TFLM runs on this host only: it is a target's reach, not a device)
INVENTORY_KINDS = ("ssh", "adb", "local", "emulator")
#: kinds that need a named device (their settings live in the inventory, not in a target descriptor)
DEVICE_ONLY_KINDS = ("ssh", "adb")


def transport_for(entry: TransportEntry, options: ConnectOptions | None = None) -> Transport:
    kind = entry.transport
    if kind not in TRANSPORTS:
        raise BadInputError(f"unsupported transport {kind!r} (known: {', '.join(TRANSPORTS)})")
    return TRANSPORTS[kind][1].from_entry(entry, options or ConnectOptions())


def for_target(target: Any) -> Transport:
    """The transport a target descriptor's ``reach`` names (local, tflm, emulator)."""
    kind = target.reach.transport
    if kind in DEVICE_ONLY_KINDS:
        raise BadInputError(
            f"target '{target.name}' is reached over {kind}: name a device from the inventory with --device")
    if kind == "emulator" and not target.reach.image:
        raise BadInputError(f"target '{target.name}': reach.transport = 'emulator' needs reach.image")
    entry = TRANSPORTS[kind][0](transport=kind)
    return transport_for(entry, ConnectOptions(label=target.name, reach=target.reach))
