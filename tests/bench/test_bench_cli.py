"""`edgetk bench` / `edgetk results` as a user runs them (child processes, hermetic EDGETK_HOME)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path


def test_bench_json_document_and_store(run_cli, tiny_models, tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    proc = run_cli("bench", tiny_models["tiny-int8"], "--target", "host-x86_64", "--runs", "5", "--json", "--db", db)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "edgetk.bench/1" and doc["id"] == 1
    assert doc["target"] == "host-x86_64" and doc["transport"] == "local" and doc["emulated"] is False
    runner = doc["runner"]
    assert runner["schema"] == "edgetk.runner/1" and runner["runtime"]["name"] == "litert"
    lat = runner["latency_ms"]
    assert lat["runs"] == 5 and lat["min"] <= lat["p50"] <= lat["p90"] <= lat["max"]
    assert doc["per_op_estimate"]["estimated"] is True
    assert {op["op"] for op in doc["per_op_estimate"]["ops"]} >= {"CONV_2D", "FULLY_CONNECTED"}
    assert 0 < doc["roofline"]["total_macs"] and doc["mcu_estimate"] is None
    assert doc["roofline"]["timing"] == "measured" and doc["roofline"]["latency_ms"] == lat["p50"]

    shown = json.loads(run_cli("results", "show", "1", "--db", db).stdout)
    assert shown["model_sha256"] == doc["model"]["sha256"] and shown["runner"]["latency_ms"] == lat
    exported = run_cli("results", "export", "--format", "csv", "--db", db).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["target"] for r in rows] == ["host-x86_64"]


def test_bench_tflm_target_shows_estimate(run_cli, tiny_models) -> None:
    proc = run_cli("bench", tiny_models["kws"], "--target", "cortex-m4", "--runs", "3", "--no-store")
    assert proc.returncode == 0, proc.stderr
    assert "MCU latency (estimated)" in proc.stdout
    assert "TFLM arena: 24,208 bytes (measured)" in proc.stdout
    assert "fits in cortex-m4 RAM" in proc.stdout


def test_bench_errors_are_one_line_with_exit_codes(run_cli, tiny_models, tmp_path: Path) -> None:
    unknown = run_cli("bench", tiny_models["tiny-int8"], "--target", "no-such-board")
    assert unknown.returncode == 2 and "unknown target 'no-such-board'" in unknown.stderr
    bad_db = tmp_path / "bad.sqlite"
    bad_db.write_bytes(b"garbage" * 200)
    corrupt = run_cli("results", "list", "--db", bad_db)
    assert corrupt.returncode == 2 and "not a usable edgetk results database" in corrupt.stderr
    assert bad_db.read_bytes() == b"garbage" * 200
    missing = run_cli("results", "show", "42", "--db", tmp_path / "new.sqlite")
    assert missing.returncode == 2 and "no result with id 42" in missing.stderr
