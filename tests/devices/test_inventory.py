"""devices.toml parsing: validation errors name the file and the key; `add` writes what `load` reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.devices import AdbDevice, SshDevice, add_device, load_inventory
from toolkit.errors import BadInputError, DescriptorError, UnknownNameError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "devices.toml"
    path.write_text(text)
    return path


def test_entries_parse_by_transport(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, '[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "pi4"\n'
                                         'port = 2222\n\n[devices.phone]\ntarget = "android-arm64"\n'
                                         'transport = "adb"\nserial = "R58M"\n'))
    pi, phone = inv.get("pi"), inv.get("phone")
    assert isinstance(pi, SshDevice) and (pi.name, pi.host, pi.port, pi.remote_dir) == ("pi", "pi4", 2222, "~/.cache/edgetk")
    assert isinstance(phone, AdbDevice) and phone.remote_dir == "/data/local/tmp/edgetk"
    assert inv.names() == ["phone", "pi"]
    with pytest.raises(UnknownNameError, match="unknown device .* 'tv'"):
        inv.get("tv")


@pytest.mark.parametrize(
    ("text", "key", "detail"),
    [
        ('[devices.pi]\ntarget = "t"\ntransport = "ssh"\nhost = "h"\nidentity_fle = "k"\n', "devices.pi.identity_fle",
         "unknown key (allowed: connect_timeout,"),
        ('[devices.pi]\ntarget = "t"\ntransport = "ssh"\nhost = "h"\nport = 70000\n', "devices.pi.port", "65535"),
        ('[devices.pi]\ntarget = "t"\ntransport = "telnet"\n', "devices.pi.transport", "must be one of ssh, adb"),
        ('[devices.pi]\ntransport = "ssh"\nhost = "h"\n', "devices.pi.target", "Field required"),
        ('[devices.pi]\ntarget = "t"\ntransport = "ssh"\nhost = "h"\npassword_env = "hunter2 pw"\n',
         "devices.pi.password_env", "pattern"),
        ("[device.pi]\n", "device", "unknown key"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, key: str, detail: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DescriptorError) as err:
        load_inventory(path)
    assert err.value.key == key and str(path) in str(err.value) and detail in str(err.value)


def test_add_round_trips_and_refuses_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "inv" / "devices.toml"
    add_device("pi", {"target": "rpi4-arm64", "transport": "ssh", "host": 'we"ird host', "port": 22,
                      "password_env": "PI_PW", "serial": None}, path)
    add_device("emu", {"target": "rpi4-arm64", "transport": "emulator"}, path)
    inv = load_inventory(path)
    assert inv.get("pi").host == 'we"ird host' and inv.get("pi").password_env == "PI_PW"
    assert inv.get("emu").transport == "emulator"
    with pytest.raises(BadInputError, match="already exists"):
        add_device("pi", {"target": "x", "transport": "local"}, path)
    with pytest.raises(DescriptorError, match="devices.bad.host"):
        add_device("bad", {"target": "x", "transport": "ssh"}, path)
    assert "bad" not in load_inventory(path).devices


def test_default_location_prefers_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_inventory().devices == {}  # none yet: empty, in the config dir
    write(tmp_path, '[devices.here]\ntarget = "host-x86_64"\ntransport = "local"\n')
    assert load_inventory().names() == ["here"]


def test_emulator_device_runs_on_its_targets_core(tmp_path: Path) -> None:
    """An inventory emulator device emulates the same core as `bench --target` (Pi 5: cortex-a76)."""
    from toolkit.devices import transport_for_device

    inv = tmp_path / "devices.toml"
    inv.write_text('[devices.pi5]\ntarget = "rpi5-arm64"\ntransport = "emulator"\n'
                   '[devices.pi4]\ntarget = "rpi4-arm64"\ntransport = "emulator"\n')
    pi5 = transport_for_device("pi5", inventory=inv)
    pi4 = transport_for_device("pi4", inventory=inv)
    assert (pi5.spec.name, pi5.cpu) == ("debian12-arm64", "cortex-a76")
    assert (pi4.spec.name, pi4.cpu) == ("debian12-arm64", None)
