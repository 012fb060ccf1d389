"""Descriptor schema and registry: strict keys, typed values, `extends` merging and cycle detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import DescriptorError, UnknownNameError
from toolkit.targets import load_registry
from toolkit.targets.registry import deep_merge

SHIPPED = {"android-arm64", "rpi4-arm64", "rpi5-arm64", "rpi-zero2-armhf", "cortex-m4", "cortex-m7", "esp32-s3",
           "host-x86_64", "cortex-m0plus", "cortex-m4f", "cortex-m33", "cortex-m55", "cortex-m85"}  # fmt: skip

BASE = """
name = "{name}"
{extra}
[runtime]
name = "tflm"
version = "1"
op_table = "tflm.json"
[cpu]
arch = "armv7e-m"
cores = 1
clock_hz = 1e8
macs_per_cycle = 1.0
[reach]
transport = "tflm"
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text)
    return path


def test_registry_loads_every_shipped_target_with_its_facts() -> None:
    reg = load_registry()
    assert SHIPPED <= set(reg.names())
    m4 = reg.get("cortex-m4")
    assert (m4.memory.ram_bytes, m4.memory.flash_bytes, m4.cpu.clock_hz) == (640 * 1024, 2 * 1024 * 1024, 120e6)
    assert m4.runtime.name == "tflm" and m4.dynamic_shapes is False and m4.reach.transport == "tflm"
    m7 = reg.get("cortex-m7")
    assert (m7.memory.ram_bytes, m7.memory.flash_bytes, m7.cpu.clock_hz) == (320 * 1024, 1024 * 1024, 216e6)
    assert m7.runtime.op_table == "tflm.json"  # inherited through extends
    assert reg.get("rpi-zero2-armhf").reach.image == "debian12-armhf"
    assert reg.get("rpi4-arm64").runtime.name == "tflite-runtime"
    assert reg.get("host-x86_64").reach.transport == "local"
    delegates = {d.name: d for d in reg.get("android-arm64").delegates}
    # issue 11: the GPU delegate points at the measured table; NNAPI stays a documented list, labelled so
    assert delegates["gpu"].op_table == "litert-gpu.json" and delegates["gpu"].ops is None
    assert "CONV_2D" in delegates["nnapi"].ops and "predicted from docs" in delegates["nnapi"].source


def test_extends_merges_tables_deeply() -> None:
    reg = load_registry()
    rpi4, rpi5 = reg.get("rpi4-arm64"), reg.get("rpi5-arm64")
    assert rpi5.cpu.clock_hz == 2.4e9 and rpi5.cpu.cores == rpi4.cpu.cores == 4
    assert rpi5.reach.image == "debian12-arm64" and rpi5.extends == "rpi4-arm64"
    assert deep_merge({"a": {"x": 1, "y": 2}, "l": [1]}, {"a": {"y": 3}, "l": [2]}) == {"a": {"x": 1, "y": 3}, "l": [2]}


def test_unknown_key_names_file_and_dotted_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad", BASE.format(name="bad", extra="") + "clock_mhz = 3\n")
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert err.value.file == path and err.value.key == "reach.clock_mhz"
    assert str(path) in str(err.value) and "unknown key" in str(err.value)


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    text = BASE.format(name="bad", extra="").replace("cores = 1", 'cores = "two"')
    _write(tmp_path, "bad", text)
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert err.value.key == "cpu.cores" and "'two'" in str(err.value)


def test_kernel_family_is_validated_and_only_for_tflm(tmp_path: Path) -> None:
    _write(tmp_path, "bad", BASE.format(name="bad", extra="").replace('op_table = "tflm.json"',
                                                                      'op_table = "tflm.json"\nkernels = "helium"'))
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert err.value.key == "runtime.kernels" and "'helium'" in str(err.value)
    text = BASE.format(name="bad", extra="").replace('name = "tflm"', 'name = "litert"')
    _write(tmp_path, "bad", text.replace('op_table = "tflm.json"', 'op_table = "tflm.json"\nkernels = "cmsis-nn"'))
    with pytest.raises(DescriptorError, match="applies to runtime 'tflm' only"):
        load_registry(extra_dirs=[tmp_path])
    reg = load_registry()
    assert {n: reg.get(n).runtime.kernels for n in ("cortex-m4", "cortex-m33", "cortex-m55", "esp32-s3")} == {
        "cortex-m4": "cmsis-nn", "cortex-m33": "cmsis-nn", "cortex-m55": "cmsis-nn", "esp32-s3": "esp-nn"}
    assert reg.get("rpi4-arm64").runtime.kernels is None


def test_bad_delegate_entry_key_has_list_index(tmp_path: Path) -> None:
    _write(tmp_path, "bad", BASE.format(name="bad", extra="") + '[[delegates]]\nname = "tpu"\n')
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert err.value.key == "delegates[0].name"


def test_extends_cycle_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "a", 'name = "a"\nextends = "b"\n')
    _write(tmp_path, "b", 'name = "b"\nextends = "c"\n')
    _write(tmp_path, "c", 'name = "c"\nextends = "a"\n')
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert err.value.key == "extends"
    assert "a -> b -> c -> a" in str(err.value)


def test_unknown_extends_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "child", 'name = "child"\nextends = "no-such-board"\n')
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert err.value.file == path and "no-such-board" in str(err.value)


def test_user_dir_from_env_adds_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "my-board", BASE.format(name="my-board", extra='extends = "cortex-m4"').replace(
        "version = \"1\"", "version = \"9\""))
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(tmp_path))
    reg = load_registry()
    board = reg.get("my-board")
    assert board.runtime.version == "9" and board.memory.flash_bytes == 2 * 1024 * 1024
    with pytest.raises(UnknownNameError):
        reg.get("nope")


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken", "name = \n")
    with pytest.raises(DescriptorError) as err:
        load_registry(extra_dirs=[tmp_path])
    assert str(path) in str(err.value) and "invalid TOML" in str(err.value)
