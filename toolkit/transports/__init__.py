"""Ways of reaching a device, all behind ``toolkit.transports.base.Transport``.

``for_target`` dispatches on the target descriptor's ``reach`` through the one registry
(``toolkit.transports.registry``); a named device from the inventory is resolved by
``toolkit.devices.transport_for_device`` (transports know nothing of the inventory). The registry is imported
lazily so ``import toolkit.transports`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from toolkit.transports.base import RunResult, Transport, sha256_file

__all__ = ["RunResult", "Transport", "for_target", "sha256_file"]


def for_target(target: Any) -> Transport:
    """The transport for ``target`` (a TargetDescriptor) by its ``reach`` (``registry.for_target``)."""
    from toolkit.transports.registry import for_target as _for_target

    return _for_target(target)
