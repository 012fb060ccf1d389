"""Turn an inventory entry into a ready-to-connect Transport (the one place that knows every kind)."""

from __future__ import annotations

from pathlib import Path

from toolkit.devices.inventory import (
    AdbDevice,
    Device,
    EmulatorDevice,
    LocalDevice,
    SshDevice,
    load_inventory,
)
from toolkit.errors import BadInputError
from toolkit.transports.base import Transport


def ssh_settings(
    device: SshDevice, *, trust_new_host_key: bool = False, progress: bool | None = None, ask_password: bool = False
):
    """SshSettings for an inventory entry (imported lazily: paramiko is only needed when SSH is used).

    ``ask_password`` prompts on the terminal at connect time (getpass: not echoed, not kept afterwards)."""
    from toolkit.transports.ssh import SshSettings

    return SshSettings(
        host=device.host, port=device.port, user=device.user, identity_file=device.identity_file,
        known_hosts=device.known_hosts, password_env=device.password_env,
        connect_timeout=device.connect_timeout, run_timeout=device.run_timeout, remote_dir=device.remote_dir,
        python=device.python, trust_new_host_key=trust_new_host_key, progress=progress, label=device.name,
        ask_password=ask_password,
    )


def transport_for_device(
    device: str | Device,
    *,
    inventory: Path | str | None = None,
    trust_new_host_key: bool = False,
    progress: bool | None = None,
    ask_password: bool = False,
) -> Transport:
    """The transport for a device name (looked up in the inventory) or an inventory entry.

    ``trust_new_host_key`` and ``ask_password`` only matter for SSH devices; other transports ignore them."""
    entry = load_inventory(inventory).get(device) if isinstance(device, str) else device
    if isinstance(entry, SshDevice):
        from toolkit.transports.ssh import SshTransport

        return SshTransport(ssh_settings(entry, trust_new_host_key=trust_new_host_key, progress=progress,
                                         ask_password=ask_password))
    if isinstance(entry, AdbDevice):
        from toolkit.transports.adb import AdbTransport

        return AdbTransport(entry.serial, entry.adb, remote_dir=entry.remote_dir, python=entry.python,
                            run_timeout=entry.run_timeout, label=entry.name)
    if isinstance(entry, LocalDevice):
        from toolkit.transports.local import LocalTransport

        return LocalTransport()
    if isinstance(entry, EmulatorDevice):
        from toolkit.transports.emulator import EmulatorTransport

        reach = _target_reach(entry.target)
        if not (entry.image or reach.image):
            raise BadInputError(
                f"device uses the emulator but target '{entry.target}' names no reach.image; set image =")
        # the target's core (e.g. cortex-a76 for a Pi 5), as `bench --target` without a device uses
        return EmulatorTransport(image=entry.image or reach.image, cpu=reach.cpu)
    raise BadInputError(f"device {entry!r}: unsupported transport")


def _target_reach(target: str):
    from toolkit.targets import load_registry

    return load_registry().get(target).reach
