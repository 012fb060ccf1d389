"""Callers ask a transport what it can do through declared capabilities, never by probing attributes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.errors import BadInputError, ExitCode
from toolkit.transports.adb import AdbTransport
from toolkit.transports.emulator import EmulatorTransport
from toolkit.transports.local import LocalTransport
from toolkit.transports.ssh import SshTransport
from toolkit.transports.tflm import TflmTransport

TOOLKIT = Path(__file__).resolve().parents[2] / "toolkit"


def test_runtime_is_declared_by_the_transport_that_forces_one() -> None:
    assert TflmTransport().runtime == "tflm"
    assert LocalTransport().runtime is None
    assert SshTransport.runtime is None and AdbTransport.runtime is None


def test_only_transports_with_a_device_side_cache_keep_files() -> None:
    assert SshTransport.keeps_files and AdbTransport.keeps_files
    assert not LocalTransport.keeps_files and not TflmTransport.keeps_files and not EmulatorTransport.keeps_files
    with pytest.raises(BadInputError, match="nothing to deploy") as info:
        LocalTransport().put_record(Path(__file__))
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_emulated_core_is_the_targets_core_or_the_images() -> None:
    assert EmulatorTransport(image="arm64", cpu="cortex-a76").emulated_core == "cortex-a76"
    assert EmulatorTransport(image="arm64").emulated_core == "cortex-a72"
    assert LocalTransport().emulated_core is None


def test_no_module_probes_a_transport_with_getattr() -> None:
    probing = re.compile(r"getattr\((?:self\.)?(?:transport|tr)\b")
    found = [str(p.relative_to(TOOLKIT)) for p in TOOLKIT.rglob("*.py") if probing.search(p.read_text())]
    assert found == []


def test_one_registry_builds_transports_from_targets_and_inventory_entries(tmp_path: Path) -> None:
    """A target's reach and a devices.toml entry go through the same registry; entry types are the transports'
    own settings models, so an inventory key the transport does not declare is refused."""
    from toolkit.devices import load_inventory, transport_for_device
    from toolkit.errors import DescriptorError
    from toolkit.targets import load_registry
    from toolkit.transports import for_target
    from toolkit.transports.ssh import SshEntry

    reg = load_registry()
    pi5 = for_target(reg.get("rpi5-arm64"))
    assert isinstance(pi5, EmulatorTransport) and pi5.emulated_core == "cortex-a76"
    assert isinstance(for_target(reg.get("cortex-m4")), TflmTransport)
    with pytest.raises(BadInputError, match="name a device from the inventory"):
        for_target(reg.get("android-arm64"))

    inv = tmp_path / "devices.toml"
    inv.write_text('[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "pi.local"\nport = 2222\n'
                   '[devices.emu5]\ntarget = "rpi5-arm64"\ntransport = "emulator"\n')
    entry = load_inventory(inv).get("pi")
    assert isinstance(entry, SshEntry)
    ssh = transport_for_device("pi", inventory=inv, trust_new_host_key=True)
    assert isinstance(ssh, SshTransport)
    assert (ssh.settings.host, ssh.settings.port, ssh.settings.label, ssh.settings.trust_new_host_key) == (
        "pi.local", 2222, "pi", True)
    emu = transport_for_device("emu5", inventory=inv)
    assert isinstance(emu, EmulatorTransport) and emu.emulated_core == "cortex-a76"
    inv.write_text('[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "adb"\nhost = "x"\n')
    with pytest.raises(DescriptorError, match="unknown key"):
        load_inventory(inv)
