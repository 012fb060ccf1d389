"""Ways of reaching a device, all behind ``toolkit.transports.base.Transport``.

``for_target`` dispatches on the target descriptor's ``reach``; a named device from the inventory is
resolved by ``toolkit.devices.transport_for_device`` (transports know nothing of the inventory). Transport classes are imported lazily so ``import toolkit.transports`` stays cheap
and a transport still being built elsewhere does not break the others.
"""

from __future__ import annotations

from typing import Any

from toolkit.errors import BadInputError
from toolkit.transports.base import RunResult, Transport, sha256_file

__all__ = ["RunResult", "Transport", "for_target", "sha256_file"]


def for_target(target: Any) -> Transport:
    """The transport for ``target`` (a TargetDescriptor) by its ``reach``."""
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

