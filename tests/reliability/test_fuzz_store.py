"""A results database whose rows hold the wrong types (another tool, an old edgetk, a hand edit) is refused in
one line naming the row and the field, by every `results` command — never exit 70. The long run is
`make fuzz` (benchmarks/fuzz_store.py, 900 cases); here a seeded sample and the crashes it found before."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from benchmarks.fuzz_store import COMMANDS, contract_problem, fuzz_store, run_cli, seed_store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, str, str]]]:
    db = tmp_path_factory.mktemp("store") / "seed.sqlite"
    return db, seed_store(db)


def test_a_seeded_sample_of_mutated_stores_never_crashes_a_results_command(seeded) -> None:
    db, rows = seeded
    report = fuzz_store(db, rows, cases=25, seed=17)
    assert report.runs == 25 * len(COMMANDS)
    assert report.crashes == []
    assert report.codes[2] > 0 and report.codes[0] > 0  # some mutations are refused, some are harmless


@pytest.mark.parametrize(("column", "value", "field"), [
    ("runner_json", json.dumps([1]), "runner"),  # was AttributeError in list/export
    ("runner_json", json.dumps({"latency_ms": {"p50": "x"}}), "runner.latency_ms.p50"),
    ("headline_timing", b"\xff", "headline_timing"),  # was TypeError in list/show/export/trend
    ("headline_timing", 7, "headline_timing: Value error, must be one of measured"),  # stored as '7'
    ("transport", b"\x00", "transport"),
    ("device", b"\xff", "device"),
    ("model_sha256", b"", "model_sha256"),
    ("options_json", "{not json", "a JSON column is not JSON"),
])  # fmt: skip
def test_a_row_of_the_wrong_type_is_one_line_naming_row_and_field(seeded, tmp_path: Path, column: str, value,
                                                                   field: str) -> None:
    db, rows = seeded
    record_id, model, target = rows[0]
    case = tmp_path / "case.sqlite"
    shutil.copy(db, case)
    with sqlite3.connect(case) as conn:
        conn.execute(f"UPDATE results SET {column} = ? WHERE id = ?", (value, record_id))  # noqa: S608
    for command in COMMANDS:
        argv = [a.format(id=record_id, model=model, target=target) for a in command] + ["--db", str(case)]
        code, out, err = run_cli(argv)
        assert contract_problem(code, err) is None and code == 2, (command, code, err)
        assert f"result {record_id} is not a row edgetk wrote: {field}" in err, err
        assert f"'DELETE FROM results WHERE id = {record_id}'" in err
