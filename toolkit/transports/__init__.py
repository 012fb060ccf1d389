"""Ways of reaching a device, all behind ``toolkit.transports.base.Transport``.

``for_target`` is the one dispatch: a named device from the inventory wins, otherwise the target
descriptor's ``reach``. Transport classes are imported lazily so ``import toolkit.transports`` stays cheap
and a transport still being built elsewhere does not break the others.
"""

from __future__ import annotations

from typing import Any

from toolkit.errors import BadInputError
from toolkit.transports.base import RunResult, Transport, sha256_file

__all__ = ["RunResult", "Transport", "for_target", "sha256_file"]


def for_target(target: Any, device: str | None = None) -> Transport:
    """The transport for ``target`` (a TargetDescriptor), or for the inventory device named ``device``."""
    if device is not None:
        return _for_device(device)
    kind = target.reach.transport
    if kind == "local":
        from toolkit.transports.local import LocalTransport

        return LocalTransport()
    if kind == "tflm":
        from toolkit.transports.tflm import TflmTransport

        return TflmTransport()
    if kind == "emulator":
        from toolkit.transports.emulator import EmulatorTransport

        if not target.reach.image:
            raise BadInputError(f"target '{target.name}': reach.transport = 'emulator' needs reach.image")
        return EmulatorTransport(image=target.reach.image, cpu=target.reach.cpu)
    raise BadInputError(
        f"target '{target.name}' is reached over {kind}: name a device from the inventory with --device"
    )


def _for_device(device: str) -> Transport:
    from toolkit.devices import transport_for_device  # the device inventory (ssh / adb entries)

    return transport_for_device(device)
