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
