"""Files users keep are never lost: atomic replacement, read-modify-write under a lock, validation before
writing, and one-line errors (exit 2) for outputs that cannot be written — through the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.fuzz import cli_contract_problem
from toolkit import fileio
from toolkit.devices import load_inventory

ENTRY = '[devices.old{i}]\ntarget = "host-x86_64"\ntransport = "local"\n'


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
    assert proc.returncode == code, proc.stderr
    return proc.stderr.strip()


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_parallel_devices_add_keeps_every_entry(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.toml"
    inventory.write_text("\n".join(ENTRY.format(i=i) for i in range(40)))
    argv = [sys.executable, "-m", "toolkit.cli", "devices", "add", "", "--target", "host-x86_64",
            "--transport", "local", "--inventory", str(inventory)]  # fmt: skip
    procs = [subprocess.Popen([*argv[:5], f"new{i}", *argv[6:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(8)]  # fmt: skip
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in outcomes), outcomes
    names = load_inventory(inventory).names()
    assert len(names) == 48 and {f"new{i}" for i in range(8)} <= set(names)
    assert not list(tmp_path.glob(".inv.toml.*.tmp"))


def test_rejected_device_add_writes_nothing(tmp_path: Path, run_cli) -> None:
    inventory = tmp_path / "inv.toml"
    inventory.write_text(ENTRY.format(i=0))
    before = inventory.read_bytes()
    for extra in (["--host", "\udcff"], ["--host", "a\x1b]0;pwn\x07"], ["--host", "h", "--port", "0"]):
        proc = run_cli("devices", "add", "pi", "--target", "rpi4-arm64", "--transport", "ssh", *extra,
                       "--inventory", str(inventory))  # fmt: skip
        _one_line_error(proc)
        assert inventory.read_bytes() == before
    assert load_inventory(inventory).names() == ["old0"]


def test_devices_add_refuses_an_unknown_target_and_unsafe_names(tmp_path: Path, run_cli) -> None:
    inventory = tmp_path / "inv.toml"
    proc = run_cli("devices", "add", "pi", "--target", "no-such-board", "--transport", "local",
                   "--inventory", str(inventory))  # fmt: skip
    assert "unknown target 'no-such-board'" in _one_line_error(proc)
    assert not inventory.exists()
    proc = run_cli("devices", "add", "../../x;$(id)", "--target", "host-x86_64", "--transport", "local",
                   "--inventory", str(inventory))  # fmt: skip
    assert "letters, digits" in _one_line_error(proc)
    inventory.write_text('[devices."../../x;$(id)"]\ntarget = "host-x86_64"\ntransport = "local"\n')
    proc = run_cli("devices", "list", "--inventory", str(inventory))
    assert "letters, digits" in _one_line_error(proc)


def test_known_hosts_append_adds_the_missing_newline(tmp_path: Path) -> None:
    import paramiko

    from toolkit.transports.ssh_host_keys import TrustOnFirstUse, load_known_hosts

    key = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    pub = (tmp_path / "k.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"old.example {pub[0]} {pub[1]}")  # hand-edited: no final newline
    key = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "k"))
    client = paramiko.SSHClient()
    TrustOnFirstUse(known).missing_host_key(client, "[127.0.0.1]:2222", key)
    listed = subprocess.run(["ssh-keygen", "-lf", str(known)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 2 and "old.example" in listed.stdout
    known.write_text("bad.example ssh-ed25519 AAAA!!!notbase64\n" + known.read_text())  # OpenSSH skips this
    fresh = paramiko.SSHClient()
    load_known_hosts(fresh, known)
    assert sorted(fresh.get_host_keys().keys()) == ["[127.0.0.1]:2222", "old.example"]


def test_output_onto_a_full_disk_keeps_the_old_file(small_disk, tmp_path: Path, run_cli) -> None:
    out = small_disk.path / "results.json"
    out.write_text("OLD REPORT\n")
    small_disk.fill()
    proc = run_cli("results", "export", "--db", str(tmp_path / "r.sqlite"), "--out", str(out))
    line = _one_line_error(proc)
    assert "No space left on device" in line and "free space" in line
    assert out.read_text() == "OLD REPORT\n"
    assert not [p.name for p in small_disk.path.iterdir() if p.name.startswith(".")]  # no temp file left


@pytest.mark.parametrize("where", ["directory", "under-a-file", "read-only"])
def test_unwritable_output_is_one_line(where: str, small_disk, tmp_path: Path, run_cli) -> None:
    target = {"directory": tmp_path, "under-a-file": tmp_path / "file" / "x.json",
              "read-only": small_disk.path / "x.json"}[where]  # fmt: skip
    (tmp_path / "file").write_text("")
    if where == "read-only":
        small_disk.remount(ro=True)
    try:
        proc = run_cli("results", "export", "--db", str(tmp_path / "r.sqlite"), "--out", str(target))
    finally:
        small_disk.remount(ro=False)
    line = _one_line_error(proc)
    assert line.startswith(f"error: cannot write {target}")


def test_atomic_write_failure_leaves_no_temp_and_keeps_permissions(tmp_path: Path) -> None:
    out = tmp_path / "keep.txt"
    out.write_text("old")
    out.chmod(0o640)
    fileio.write_text(out, "new")
    assert out.read_text() == "new" and (out.stat().st_mode & 0o777) == 0o640
    with pytest.raises(fileio.OutputWriteError, match="undecodable"):
        fileio.write_text(out, "bad \udcff")
    assert out.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_debug_log_writer_never_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tempfile

    from toolkit.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(main, "_logs_dir", lambda: blocker / "logs")
    where = main._write_debug_log(ValueError("boom"))
    assert Path(where).read_text().endswith("ValueError: boom\n")
    Path(where).unlink()
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(blocker / "tmp"))
    assert main._write_debug_log(ValueError("boom")).startswith("no debug log (could not write one: ")
