"""Turn an inventory entry into a ready-to-connect Transport, through the one transport registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.devices.inventory import Device, EmulatorDevice, load_inventory
from toolkit.transports.base import ConnectOptions, Transport


def transport_for_device(
    device: str | Device,
    *,
    inventory: Path | str | None = None,
    trust_new_host_key: bool = False,
    progress: bool | None = None,
    ask_password: bool = False,
) -> Transport:
    """The transport for a device name (looked up in the inventory) or an inventory entry.

    ``trust_new_host_key`` and ``ask_password`` only matter for SSH devices; other transports ignore them.
    An emulated device takes its image (unless the entry names one) and qemu core from its target's reach."""
    from toolkit.transports.registry import transport_for

    entry = load_inventory(inventory).get(device) if isinstance(device, str) else device
    reach = _target_reach(entry.target) if isinstance(entry, EmulatorDevice) else None
    options = ConnectOptions(trust_new_host_key=trust_new_host_key, progress=progress, ask_password=ask_password,
                             label=entry.name, reach=reach)
    return transport_for(entry, options)


def _target_reach(target: str) -> Any:
    from toolkit.targets import load_registry

    return load_registry().get(target).reach
