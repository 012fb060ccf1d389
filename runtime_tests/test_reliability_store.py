"""The results store under real `edgetk bench` processes: 20 at once lose no row; old stores are migrated in
place; a damaged store is an error that leaves the file byte-for-byte as it was."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from toolkit.bench.store import MIGRATIONS, SCHEMA_VERSION

pytestmark = pytest.mark.slow
WRITERS = 20


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fuzzer's converted conv seed (tiny: the 20 benches cost process start-up, not inference)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.fuzz_seeds import ensure_tf_seeds
    from conftest import SHARED_CACHE

    return ensure_tf_seeds(Path(SHARED_CACHE))["tf-conv"]


def _bench_argv(model: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "toolkit.cli", "bench", str(model), "--target", "host-x86_64", "--runs", "3",
            "--warmup", "0", "--db", str(db), *extra]  # fmt: skip


def test_twenty_concurrent_bench_processes_lose_no_row(model: Path, tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    procs = [subprocess.Popen(_bench_argv(model, db, "--json", "--seed", str(i)), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, env=os.environ.copy())
             for i in range(WRITERS)]  # fmt: skip
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * WRITERS, [err for _, err in outputs if err]
    docs = [json.loads(out) for out, _ in outputs]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, options_json, runner_json, bench_json FROM results ORDER BY id").fetchall()
    assert [r[0] for r in rows] == list(range(1, WRITERS + 1))
    assert sorted(d["id"] for d in docs) == list(range(1, WRITERS + 1))  # each process got its own row
    by_id = {r[0]: r for r in rows}
    for doc in docs:  # every row holds exactly what its process printed
        _, options, runner, bench = by_id[doc["id"]]
        assert json.loads(runner) == doc["runner"] and json.loads(runner)["latency_ms"]["runs"] == 3
        assert json.loads(options)["seed"] == doc["options"]["seed"]
        assert json.loads(bench)["model"]["sha256"] == doc["model"]["sha256"]
    assert sorted(d["options"]["seed"] for d in docs) == list(range(WRITERS))


def _v1_store(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    conn.execute(
        "INSERT INTO results (created_at, model_path, model_sha256, target, device, transport, runtime,"
        " runtime_version, options_json, runner_json, edgetk_version) VALUES ('2025-01-01T00:00:00+00:00',"
        " '/old/kws.tflite', 'cd', 'rpi4-arm64', NULL, 'emulator', 'tflite-runtime', '2.14.0', '{}',"
        " '{\"latency_ms\": {\"p50\": 7.0}}', '0.0.9')"
    )
    conn.commit()
    conn.close()


def test_older_store_is_migrated_by_bench_not_overwritten(model: Path, tmp_path: Path, run_cli) -> None:
    db = tmp_path / "old.sqlite"
    _v1_store(db)
    proc = run_cli(*_bench_argv(model, db)[3:])
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(run_cli("results", "show", "1", "--db", db).stdout)
    assert (shown["model_path"], shown["runner"]["latency_ms"]["p50"]) == ("/old/kws.tflite", 7.0)
    with sqlite3.connect(db) as conn:
        assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == \
            list(range(1, SCHEMA_VERSION + 1))
        assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 2


def _damaged_real_store(path: Path) -> None:
    """A real edgetk store whose b-tree pages are overwritten (what a bad disk or a stray `dd` leaves)."""
    from toolkit.bench.store import ResultsStore

    store = ResultsStore(path)
    for i in range(40):
        store.append({"created_at": "t", "model_path": f"/m{i}", "model_sha256": "ab", "target": "x",
                      "transport": "local", "options": {}, "runner": {"pad": "x" * 500}, "edgetk_version": "0"})
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = b"\xa5" * (4096 * 2)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not a database", "damaged pages", "truncated"])
def test_damaged_store_is_an_error_and_never_replaced(model: Path, tmp_path: Path, run_cli, damage: str) -> None:
    db = tmp_path / "results.sqlite"
    if damage == "not a database":
        db.write_bytes(b"SQLite format 2\0" + os.urandom(8000))
    else:
        _damaged_real_store(db)
        if damage == "truncated":
            db.write_bytes(db.read_bytes()[:6000])
    before = db.read_bytes()
    # bench (changed deliberately, issue 17): the finished result is printed, storing it fails with exit 7
    for argv, code, first in ((_bench_argv(model, db)[3:], 7, "warning: result not stored: results database"),
                              (["results", "list", "--db", str(db)], 2, "error: results database")):
        proc = run_cli(*argv)
        assert proc.returncode == code, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(first) and str(db) in lines[0]
        assert "Traceback" not in proc.stdout + proc.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.sqlite"]  # no replacement written beside it
