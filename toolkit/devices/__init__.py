"""The device inventory (devices.toml) and the transports its entries describe."""

from toolkit.devices.connect import transport_for_device
from toolkit.devices.inventory import (
    AdbDevice,
    Device,
    EmulatorDevice,
    Inventory,
    LocalDevice,
    SshDevice,
    add_device,
    inventory_path,
    load_inventory,
)
from toolkit.devices.on_device import DeviceCheck, Observed, check_on_device
from toolkit.devices.probe import DeviceFacts, check_device, probe_device

__all__ = [
    "AdbDevice",
    "Device",
    "DeviceCheck",
    "DeviceFacts",
    "EmulatorDevice",
    "Inventory",
    "LocalDevice",
    "Observed",
    "SshDevice",
    "add_device",
    "check_device",
    "check_on_device",
    "inventory_path",
    "load_inventory",
    "probe_device",
    "transport_for_device",
]
