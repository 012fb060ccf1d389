"""The SQLite results store: WAL, concurrent writers, migrations, refusing corrupt or newer databases."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from toolkit.bench.store import MIGRATIONS, SCHEMA_VERSION, ResultsStore, ResultsStoreError


def _fields(i: int = 0, target: str = "host-x86_64") -> dict:
    return {
        "created_at": "2026-01-01T00:00:00+00:00", "model_path": f"/m/model{i}.tflite", "model_sha256": "ab" * 32,
        "target": target, "device": None, "transport": "local", "runtime": "litert", "runtime_version": "2.3.0",
        "options": {"runs": 3}, "runner": {"latency_ms": {"p50": 1.5 + i, "mean": 1.6, "runs": 3}},
        "edgetk_version": "0.1.0", "bench": {"emulated": False},
    }  # fmt: skip


def test_append_list_get_roundtrip(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    first = store.append(_fields(0))
    second = store.append(_fields(1, target="cortex-m4"))
    assert (first, second) == (1, 2)
    record = store.get(second)
    assert record.target == "cortex-m4" and record.runner["latency_ms"]["p50"] == 2.5
    assert [r.id for r in store.list(target="host-x86_64")] == [1]
    assert store.schema_version() == SCHEMA_VERSION


def test_database_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    ResultsStore(path).append(_fields())
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _writer(path: str, worker: int, count: int) -> None:
    store = ResultsStore(path)
    for i in range(count):
        store.append(_fields(worker * 1000 + i))


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_concurrent_writers_lose_no_rows(tmp_path: Path) -> None:
    path = str(tmp_path / "r.sqlite")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    records = ResultsStore(path).list()
    assert len(records) == 100
    assert len({r.model_path for r in records}) == 100
    assert ResultsStore(path).schema_version() == SCHEMA_VERSION


def test_v1_database_is_migrated_forward_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    conn.execute(
        "INSERT INTO results (created_at, model_path, model_sha256, target, device, transport, runtime,"
        " runtime_version, options_json, runner_json, edgetk_version)"
        " VALUES ('t', '/old.tflite', 'cd', 'rpi4-arm64', NULL, 'emulator', 'tflite-runtime', '2.14.0',"
        " '{}', '{\"latency_ms\": {\"p50\": 7.0}}', '0.0.9')"
    )
    conn.commit()
    conn.close()

    store = ResultsStore(path)
    assert store.schema_version() == SCHEMA_VERSION == 3  # v3 (provenance columns) added deliberately
    old = store.get(1)
    assert (old.model_path, old.runner["latency_ms"]["p50"], old.bench) == ("/old.tflite", 7.0, None)
    assert (old.timing, old.headline_timing, old.headline_p50_ms) == ("emulated", "emulated", 7.0)
    new_id = store.append(_fields())
    assert store.get(new_id).bench == {"emulated": False}
    with sqlite3.connect(path) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [1, 2, 3]


def test_corrupt_database_is_an_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    garbage = b"this is not sqlite" * 100
    path.write_bytes(garbage)
    with pytest.raises(ResultsStoreError) as info:
        ResultsStore(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == garbage


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    ResultsStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(ResultsStoreError, match="newer"):
        ResultsStore(path)


def test_export_csv_and_json(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.append(_fields(0))
    csv_text = store.export("csv").splitlines()
    assert csv_text[0].startswith("id,created_at,model,")
    assert csv_text[1].split(",")[2] == "model0.tflite"
    assert '"schema": "edgetk.results/2"' in store.export("json")  # /2: records carry their timing
