"""A finished benchmark is never lost, and a SQLite file that is not an edgetk store is never modified."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from benchmarks.fuzz import cli_contract_problem
from toolkit.bench.store import ResultsStore


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path, run_cli) -> None:
    db = tmp_path / "other-app.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('mine')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for argv in (["results", "list"], ["results", "export"], ["results", "show", "1"]):
        proc = run_cli(*argv, "--db", str(db))
        assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
        assert proc.returncode == 2 and "another application (tables: notes)" in proc.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-app.sqlite"]  # no -wal / -shm either


def test_bench_result_survives_a_full_results_disk(small_disk, tmp_path: Path, seeds, run_cli) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    db = small_disk.path / "results.sqlite"
    ResultsStore(db)  # a valid, empty store
    small_disk.fill()
    proc = run_cli("bench", str(model), "--target", "host-x86_64", "--runs", "3", "--warmup", "1", "--json",
                   "--db", str(db))  # fmt: skip
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
    assert proc.returncode == 7, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["runner"]["latency_ms"]["runs"] == 3 and doc.get("id") is None
    assert proc.stderr.startswith("warning: result not stored: results database") and "full" in proc.stderr
    small_disk.path.joinpath("filler").unlink()
    assert ResultsStore(db).list() == []  # the store itself is still fine


def test_bench_into_a_directory_db_still_prints_the_result(tmp_path: Path, seeds, run_cli) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    proc = run_cli("bench", str(model), "--target", "host-x86_64", "--runs", "2", "--warmup", "0",
                   "--db", str(tmp_path))  # fmt: skip
    assert proc.returncode == 7 and "latency, ms" in proc.stdout, proc.stderr
    assert "is a directory" in proc.stderr
