"""Broken target descriptors and device inventories through the real CLI: exit 2, one `error:` line naming
the file and the key, never a traceback — whichever command happens to read the file first."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fuzz import cli_contract_problem

VALID = 'extends = "host-x86_64"\n'

DESCRIPTORS = [
    ("invalid TOML", {"bad.toml": 'name = "bad"\n[cpu\n'}, "bad.toml", "invalid TOML"),
    ("unknown key", {"bad.toml": VALID + "[cpu]\nturbo = true\n"}, "bad.toml", "cpu.turbo: unknown key"),
    ("wrong type", {"bad.toml": VALID + '[memory]\nram_bytes = "lots"\n'}, "bad.toml", "memory.ram_bytes"),
    ("wrong enum", {"bad.toml": VALID + '[reach]\ntransport = "carrier-pigeon"\n'}, "bad.toml", "reach.transport"),
    ("name not a string", {"bad.toml": "name = 3\n"}, "bad.toml", "name: must be a non-empty string"),
    ("extends cycle", {"a.toml": 'extends = "b"\n', "b.toml": 'extends = "a"\n'}, ".toml: extends",
     "extends cycle"),
    ("self extends", {"loop.toml": 'extends = "loop"\n'}, "loop.toml: extends", "loop -> loop"),
    ("unknown parent", {"bad.toml": 'extends = "no-such-board"\n'}, "bad.toml: extends", "unknown target"),
    ("not UTF-8", {"bad.toml": b"name = \"\xff\xfe\"\n"}, "bad.toml", ""),
]  # fmt: skip


def _write(directory: Path, files: dict[str, str | bytes]) -> None:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_bytes(text if isinstance(text, bytes) else text.encode())


def _assert_one_line_error(proc, *needles: str) -> str:
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
    assert proc.returncode == 2
    line = proc.stderr.strip()
    for needle in needles:
        assert needle in line, line
    return line


@pytest.mark.parametrize(("case", "files", "where", "detail"), DESCRIPTORS, ids=[d[0] for d in DESCRIPTORS])
@pytest.mark.parametrize("argv", [["targets", "list"], ["check", "MODEL", "--all-targets"]], ids=["list", "check"])
def test_broken_descriptor_is_one_line_naming_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli, seeds, case, files, where, detail, argv
) -> None:
    extra = tmp_path / "targets"
    _write(extra, files)
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(extra))
    proc = run_cli(*[str(model) if a == "MODEL" else a for a in argv])
    _assert_one_line_error(proc, str(extra), where, detail)


INVENTORIES = [
    ("invalid TOML", "[devices.pi\n", "", "not valid TOML"),
    ("typo in a key", '[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "h"\nidentity_fle = "k"\n',
     "devices.pi.identity_fle", "unknown key"),
    ("wrong type", '[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "h"\nport = "twenty-two"\n',
     "devices.pi.port", "integer"),
    ("unknown transport", '[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "telnet"\n', "devices.pi.transport",
     "must be one of"),
    ("password in place of a variable name",
     '[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "h"\npassword_env = "hunter2 !"\n',
     "devices.pi.password_env", "pattern"),
    ("device not a table", "[devices]\npi = 3\n", "devices.pi", "must be a table"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "key", "detail"), INVENTORIES, ids=[i[0] for i in INVENTORIES])
def test_broken_inventory_is_one_line_naming_file_and_key(tmp_path: Path, run_cli, case, text, key, detail) -> None:
    inventory = tmp_path / "devices.toml"
    inventory.write_text(text)
    line = _assert_one_line_error(run_cli("devices", "list", "--inventory", str(inventory)), str(inventory), key, detail)
    assert "hunter2" not in line  # the invalid value is not echoed back when it looks like a secret


def test_broken_inventory_also_stops_bench_cleanly(tmp_path: Path, run_cli, seeds) -> None:
    inventory = tmp_path / "devices.toml"
    inventory.write_text(INVENTORIES[1][1])
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    proc = run_cli("bench", str(model), "--device", "pi", "--inventory", str(inventory), "--no-store")
    _assert_one_line_error(proc, str(inventory), "devices.pi.identity_fle")
