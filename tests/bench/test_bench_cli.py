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
    assert runner["schema"] == "edgetk.runner/2" and runner["runtime"]["name"] == "litert"
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
    assert "TFLM arena: 24,208 bytes (host-run: TFLM on this host)" in proc.stdout  # was "(measured)": not a device
    assert "info: TFLM arena 24,208 bytes (host-run) fits in cortex-m4 RAM" in " ".join(proc.stdout.split())


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


def test_every_latency_of_a_host_bench_says_measured(run_cli, tiny_models, tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    doc = json.loads(run_cli("bench", tiny_models["tiny-int8"], "-t", "host-x86_64", "--runs", "7", "--json",
                             "--db", db).stdout)
    lat = doc["runner"]["latency_ms"]
    assert doc["timing"] == "measured" and lat["timing"] == "measured"
    assert doc["headline"] == {"p50_ms": lat["p50"], "timing": "measured", "source": "runner",
                               "note": "measured on the device"}
    assert len(lat["samples"]) == 7 and min(lat["samples"]) >= round(lat["min"], 5) - 1e-5
    [row] = json.loads(run_cli("results", "list", "--json", "--db", db).stdout)["results"]
    assert (row["timing"], row["runner_timing"]) == ("measured", "measured")


def test_mcu_target_headline_is_the_estimate_and_host_tflm_time_is_host_run(run_cli, tiny_models, tmp_path: Path) -> None:
    """The issue's case: TFLM on x86 said nothing about the MCU, yet reports showed it as the MCU's latency."""
    db = tmp_path / "results.sqlite"
    proc = run_cli("bench", tiny_models["kws"], "-t", "cortex-m4", "--runs", "4", "--json", "--db", db)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    lat, mcu = doc["runner"]["latency_ms"], doc["mcu_estimate"]
    assert doc["timing"] == lat["timing"] == "host-run" and mcu["timing"] == "estimated"
    assert doc["headline"]["timing"] == "estimated" and doc["headline"]["p50_ms"] == mcu["latency_ms"]
    assert len(lat["samples"]) == 4
    exported = list(csv.DictReader(io.StringIO(run_cli("results", "export", "--format", "csv", "--db", db).stdout)))
    [row] = exported
    assert (row["timing"], row["runner_timing"]) == ("estimated", "host-run")
    assert float(row["p50_ms"]) == round(mcu["latency_ms"], 4)
    assert all(len(row[k].split(".")[-1]) <= 4 for k in ("p50_ms", "runner_p50_ms", "runner_mean_ms"))
    listed = run_cli("results", "list", "--db", db).stdout
    assert "estimated" in listed and "kws.tflite" in listed
    assert max(len(line) for line in listed.splitlines()) <= 80


def test_bench_exits_1_when_the_arena_exceeds_the_targets_ram(run_cli, tiny_models, tmp_path: Path,
                                                              monkeypatch) -> None:
    (tmp_path / "tiny-mcu.toml").write_text('name = "tiny-mcu"\nextends = "cortex-m4"\n'
                                            'title = "an MCU with 16 KiB of RAM"\n[memory]\nram_bytes = 16384\n')
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(tmp_path))
    proc = run_cli("bench", tiny_models["kws"], "-t", "tiny-mcu", "--runs", "2", "--db", tmp_path / "r.sqlite")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error: TFLM arena 24,208 bytes (host-run) exceeds tiny-mcu RAM 16,384 bytes" in proc.stdout
    assert "stored as result 1" in proc.stdout  # the result is kept even though the verdict fails


def test_results_filters_trend_and_regression_against_the_previous_result(run_cli, tiny_models, tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite"
    for model in ("kws", "kws", "tiny-int8"):
        assert run_cli("bench", tiny_models[model], "-t", "cortex-m4", "--runs", "2", "--db", db).returncode == 0
    only_kws = json.loads(run_cli("results", "list", "--model", "kws.tflite", "--json", "--db", db).stdout)
    assert [r["id"] for r in only_kws["results"]] == [1, 2]
    assert json.loads(run_cli("results", "list", "--since", "2099-01-01", "--json", "--db", db).stdout)["results"] == []
    assert len(json.loads(run_cli("results", "list", "--since", "1d", "--json", "--db", db).stdout)["results"]) == 3
    proc = run_cli("results", "trend", "kws.tflite", "-t", "cortex-m4", "--json", "--html", tmp_path / "t.html",
                   "--db", db)
    assert proc.returncode == 0, proc.stderr
    trend = json.loads(proc.stdout)
    assert [p["timing"] for p in trend["points"]] == ["estimated", "estimated"]
    assert trend["points"][1]["change"]["verdict"] == "same" and trend["regression"] is None
    page = (tmp_path / "t.html").read_text()
    assert "p50 over time" in page and "estimated" in page and "<svg" in page
    bad = run_cli("results", "list", "--since", "last tuesday", "--db", db)
    assert bad.returncode == 2 and "--since 'last tuesday'" in bad.stderr
