"""Provenance of stored figures, regression detection between results of one setup, the trend sparkline."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from toolkit.bench.history import latency_trend, parse_since
from toolkit.bench.store import MIGRATIONS, ResultsStore
from toolkit.provenance import headline_latency, runner_timing
from toolkit.report.results_text import sparkline


def _fields(p50: float, *, transport: str = "local", runtime: str = "litert", mcu: float | None = None,
            spread: float = 0.01, sha: str = "ab", threads: int | None = None) -> dict:
    runner = {"latency_ms": {"p50": p50, "min": p50 - spread, "max": p50 + spread, "mean": p50, "runs": 5}}
    timing = runner_timing(transport, transport == "emulator", runtime)
    bench = {"emulated": transport == "emulator", "timing": timing,
             "mcu_estimate": {"latency_ms": mcu} if mcu else None,
             "headline": headline_latency(runner["latency_ms"], timing, {"latency_ms": mcu} if mcu else None)}
    return {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "model_path": "/m/net.tflite",
            "model_sha256": sha * 32, "target": "t", "device": None, "transport": transport, "runtime": runtime,
            "runtime_version": "1", "options": {"runs": 5, "threads": threads, "seed": 0}, "runner": runner,
            "edgetk_version": "0.1.0", "bench": bench}


def test_runner_timing_names_where_the_clock_ran() -> None:
    assert runner_timing("local", False, "litert") == "measured"
    assert runner_timing("ssh", False, "tflite-runtime") == "measured"
    assert runner_timing("emulator", True, "tflite-runtime") == "emulated"
    assert runner_timing("tflm", False, "tflm") == "host-run"
    assert runner_timing("local", False, "litert", accelerator="gpu") == "software-gpu"


def test_v2_rows_get_the_timing_derivable_from_what_they_stored(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for step in (0, 1):
        MIGRATIONS[step](conn)
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (step + 1,))
    rows = [("local", "litert", {"emulated": False}), ("emulator", "tflite-runtime", {"emulated": True}),
            ("tflm", "tflm", {"emulated": False, "mcu_estimate": {"latency_ms": 39.8}})]
    for transport, runtime, bench in rows:
        conn.execute("INSERT INTO results (created_at, model_path, model_sha256, target, transport, runtime, "
                     "options_json, runner_json, edgetk_version, bench_json) VALUES ('2026-01-01', '/m.tflite', "
                     "'cd', 't', ?, ?, '{}', ?, '0.0.9', ?)",
                     (transport, runtime, json.dumps({"latency_ms": {"p50": 0.7588539999999999}}), json.dumps(bench)))
    conn.commit()
    conn.close()
    records = ResultsStore(path).list()
    assert [(r.timing, r.headline_timing) for r in records] == [
        ("measured", "measured"), ("emulated", "emulated"), ("host-run", "estimated")]
    assert [r.headline_p50_ms for r in records] == [0.7588539999999999, 0.7588539999999999, 39.8]
    assert [r.summary()["p50_ms"] for r in records] == [0.7589, 0.7589, 39.8]


def test_a_slower_result_of_the_same_setup_is_a_regression_and_noise_is_not(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.append(_fields(1.0))
    store.append(_fields(1.05))  # within 10 %
    store.append(_fields(2.0, threads=4))  # another setup: not compared with the 1.05
    store.append(_fields(1.5))  # 43 % slower than result 2, best run beyond its median
    trend = latency_trend(store, "net.tflite", "t")
    changes = [p.change and p.change.verdict for p in trend.points]
    assert changes == [None, "same", None, "slower"]
    assert trend.points[3].change.previous_id == 2
    assert trend.latest_regression is not None and trend.latest_regression.timing == "measured"
    store.append(_fields(1.9, spread=1.0))  # slower median, but its best run beats result 4's median: noise
    assert latency_trend(store, "net.tflite", "t").points[-1].change.verdict == "same"


def test_emulated_regressions_are_reported_but_do_not_gate(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.append(_fields(10.0, transport="emulator", runtime="tflite-runtime"))
    store.append(_fields(20.0, transport="emulator", runtime="tflite-runtime"))
    trend = latency_trend(store, "net.tflite", "t")
    change = trend.points[-1].change
    assert change.verdict == "slower" and change.timing == "emulated" and not change.gating
    assert "relative comparison only" in change.message() and trend.latest_regression is None


def test_estimated_figures_compare_without_noise(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.append(_fields(3.0, transport="tflm", runtime="tflm", mcu=40.0))
    store.append(_fields(3.0, transport="tflm", runtime="tflm", mcu=48.0))
    change = latency_trend(store, "net.tflite", "t").points[-1].change
    assert (change.timing, change.verdict, round(change.ratio, 2), change.gating) == ("estimated", "slower", 1.2, True)


def test_sparkline_and_since() -> None:
    assert sparkline([1.0, 2.0, 3.0, None, 3.0]) == "▁▅█·█"
    assert sparkline([]) == ""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_since("2d", now) == "2026-11-29T12:00:00+00:00"
    assert parse_since("2026-11-30") == "2026-11-30T00:00:00+00:00"
    assert parse_since(None) is None


def test_the_bench_documents_previous_part_is_in_its_published_schema(tmp_path: Path) -> None:
    """`bench --json` after storing carries `previous` (this change); docs/schemas/bench.schema.json must accept it."""
    import jsonschema

    from toolkit.schemas import json_schemas

    store = ResultsStore(tmp_path / "r.sqlite")
    store.append(_fields(1.0))
    store.append(_fields(1.5))
    change = latency_trend(store, "net.tflite", "t").points[-1].change.to_dict()
    schema = json_schemas()["bench"]
    part = {"$defs": schema.get("$defs", {}), **schema["properties"]["previous"]}
    jsonschema.validate(change, part)
    jsonschema.validate(None, part)
    with_typo = {**change, "verdict": "slow"}
    try:
        jsonschema.validate(with_typo, part)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a verdict outside slower/faster/same validated")
