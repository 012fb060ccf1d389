"""Issue 17 cases that had no test of their own (the audit in docs/RELIABILITY.md maps every case to a test):
a hung compare numerics child under --timeout, a results DB under a file, `devices add` into a read-only
directory (SIGTERM during compare is in test_signals.py). Real LiteRT children, a real read-only tmpfs."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.fuzz import cli_contract_problem
from toolkit.model.builder import build_single_op_model, schema, while_model

LOOP = 2_000_000_000  # WHILE iterations: LiteRT is busy for minutes


def test_compare_timeout_stops_a_model_that_hangs(tmp_path: Path, run_cli) -> None:
    """Was: a fixed 300 s, then exit 70. Now --timeout is the child's limit and the hang is said."""
    model = tmp_path / "loop.tflite"
    model.write_bytes(while_model(LOOP))
    started = time.monotonic()
    proc = run_cli("compare", model, model, "--timeout", "3", timeout=120)
    assert time.monotonic() - started < 60
    assert proc.returncode in (0, 1), proc.stderr
    assert "did not finish within 3 s" in " ".join(proc.stdout.split())


def test_results_db_under_a_file_is_one_line_and_bench_keeps_its_result(tmp_path: Path, run_cli) -> None:
    """`--db /etc/passwd/x.sqlite`: a path under a file."""
    blocker = tmp_path / "passwd"
    blocker.write_text("root:x:0:0\n")
    db = blocker / "x.sqlite"
    proc = run_cli("results", "list", "--db", db)
    assert proc.returncode == 2 and cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None
    assert proc.stderr.startswith(f"error: results database {db}: cannot create its directory")
    model = tmp_path / "add.tflite"
    model.write_bytes(build_single_op_model("ADD", input_dtypes=("float32", "float32"),
                                            builtin_options=schema().AddOptionsT()))
    proc = run_cli("bench", model, "-t", "host-x86_64", "--db", db, "--runs", "2", "--json")
    assert proc.returncode == 7, proc.stderr  # NOT_STORED: the result is printed, the store failed
    assert '"schema": "edgetk.bench/' in proc.stdout and "warning: result not stored" in proc.stderr
    assert blocker.read_text() == "root:x:0:0\n"


def test_devices_add_into_a_read_only_directory_is_one_line(small_disk, run_cli) -> None:
    inventory = small_disk.path / "devices.toml"
    inventory.write_text('[devices.old]\ntarget = "host-x86_64"\ntransport = "local"\n')
    small_disk.remount(ro=True)
    try:
        proc = run_cli("devices", "add", "pi", "--target", "host-x86_64", "--transport", "local",
                       "--inventory", inventory)
    finally:
        small_disk.remount(ro=False)
    assert proc.returncode == 2, proc.stderr
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
    assert str(inventory) in proc.stderr
    assert inventory.read_text() == '[devices.old]\ntarget = "host-x86_64"\ntransport = "local"\n'
