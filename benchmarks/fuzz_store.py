"""Type-mutated rows of a results database through every `edgetk results` command (issue 17's document fuzz,
for the paths that read stored bench documents; `report`'s inputs: benchmarks/fuzz_documents.py).

    python -m benchmarks.fuzz_store --cases 900

SQLite keeps any type in any column, so a database another tool wrote, an old edgetk wrote, or someone edited
can hold a number where a name was, a string where a latency was, or JSON of the wrong shape. Each case copies
a real store (bench results of a third-party model on LiteRT and on TFLM), changes one cell — a scalar column
to a value of another SQLite type, or one value inside a JSON column (options, runner, bench document) to a
value of another JSON type — and runs `results list`, `list --json`, `show`, `export` (json, csv) and `trend`
in-process through the CLI's own entry point. A command passes when it exits 0 (`trend`: 0 or 1, a
regression), or exits 2 with exactly one `error:` line; exit 70 (an internal error) or a Python exception
is a crash. The bar is 0 crashes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.fuzz_documents import VALUES, type_mutation, value_paths

#: one value of each SQLite storage class
CELL_VALUES: tuple[Any, ...] = (None, 0, -1, 2.5, "x", "", b"\xff\x00", "{not json")
JSON_COLUMNS = ("options_json", "runner_json", "bench_json")
SCALAR_COLUMNS = ("created_at", "model_path", "model_sha256", "target", "device", "transport", "runtime",
                  "runtime_version", "edgetk_version", "timing", "headline_timing", "headline_p50_ms")
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("results", "list"), ("results", "list", "--json"), ("results", "show", "{id}"), ("results", "export"),
    ("results", "export", "--format", "csv"), ("results", "trend", "{model}", "-t", "{target}"),
)  # fmt: skip


def mutate_json(doc: Any, rng: random.Random) -> tuple[Any, str]:
    """``doc`` with one value replaced by one of another JSON type (fuzz_documents' mutation) or, one time in
    ten (and for a document with no values), the whole document replaced."""
    if not isinstance(doc, dict) or not value_paths(doc) or rng.random() < 0.1:
        return rng.choice([v for v in VALUES if type(v) is not type(doc)]), "(root)"
    return type_mutation(doc, rng)


def mutate_row(db: Path, record_id: int, rng: random.Random) -> str:
    """Change one cell of row ``record_id``; returns where ("runner_json:latency_ms.p50", "target")."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA ignore_check_constraints = 1")
        column = rng.choice(JSON_COLUMNS + SCALAR_COLUMNS)
        if column in JSON_COLUMNS:
            (text,) = conn.execute(f"SELECT {column} FROM results WHERE id = ?", (record_id,)).fetchone()  # noqa: S608
            value, where = mutate_json(json.loads(text) if text else None, rng)
            cell: Any = json.dumps(value)
        else:
            cell, where = rng.choice(CELL_VALUES), "(cell)"
        try:
            conn.execute(f"UPDATE results SET {column} = ? WHERE id = ?", (cell, record_id))  # noqa: S608
        except sqlite3.IntegrityError:  # NOT NULL: put a blob there instead
            cell = b"\xff"
            conn.execute(f"UPDATE results SET {column} = ? WHERE id = ?", (cell, record_id))  # noqa: S608
        conn.commit()
        return f"{column}:{where}={cell!r:.30}"
    finally:
        conn.close()


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """The CLI's own entry point, in-process: (exit code, stdout, stderr)."""
    from toolkit.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def contract_problem(code: int, stderr: str, verdicts: frozenset[int] = frozenset({0})) -> str | None:
    """None when a run kept the contract: a verdict code (0; `trend` also 1, a regression), or exit 2 with one
    `error:` line."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if code in verdicts:
        return None
    if code != 2:
        return f"exit {code}: {stderr.strip()[:160]}"
    if len(lines) != 1 or not lines[0].startswith("error: "):
        return f"exit 2 but not one error line: {stderr.strip()[:160]}"
    return None


@dataclass
class StoreFuzzReport:
    cases: int = 0
    runs: int = 0
    codes: Counter = field(default_factory=Counter)
    by_column: dict[str, Counter] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)


def seed_store(db: Path) -> list[tuple[int, str, str]]:
    """A real store: a third-party model (microWakeWord) benchmarked twice on LiteRT and once on TFLM (two
    results of one setup, so `trend` compares). Returns (id, model file name, target) per row."""
    from benchmarks.corpus import corpus_models
    from toolkit.bench import BenchOptions, ResultsStore, bench_model
    from toolkit.targets import load_registry

    model = corpus_models("pymicro_wakeword/")[0]
    registry = load_registry()
    store = ResultsStore(db)
    rows = []
    for target in ("host-x86_64", "host-x86_64", "cortex-m4"):
        result = bench_model(model, registry.get(target), options=BenchOptions(runs=3, warmup=0))
        rows.append((store.append(result), model.name, target))
    return rows


def fuzz_store(db: Path, rows: list[tuple[int, str, str]], cases: int, seed: int = 0) -> StoreFuzzReport:
    """``cases`` mutated copies of ``db``, each through every command of COMMANDS."""
    rng = random.Random(seed)
    report = StoreFuzzReport()
    with tempfile.TemporaryDirectory(prefix="edgetk-storefuzz-") as tmp:
        os.environ["EDGETK_HOME"] = tmp  # debug logs of crashes land here, not in the user's cache
        case_db = Path(tmp) / "case.sqlite"
        for _ in range(cases):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{case_db}{suffix}").unlink(missing_ok=True)
            shutil.copy(db, case_db)
            record_id, model, target = rng.choice(rows)
            where = mutate_row(case_db, record_id, rng)
            column = where.split(":")[0]
            report.cases += 1
            for command in COMMANDS:
                argv = [a.format(id=record_id, model=model, target=target) for a in command] + ["--db", str(case_db)]
                try:
                    code, _out, err = run_cli(argv)
                    problem = contract_problem(code, err, frozenset({0, 1}) if "trend" in command else frozenset({0}))
                except Exception as exc:  # noqa: BLE001 - the fuzzer's job is to count these
                    code, problem = -1, f"{type(exc).__name__}: {exc}"
                report.runs += 1
                report.codes[code] += 1
                report.by_column.setdefault(column, Counter())["crashed" if problem else code] += 1
                if problem and len(report.crashes) < 30:
                    report.crashes.append(f"{' '.join(command[:2])} {where}: {problem}")
    return report


def summary_lines(report: StoreFuzzReport) -> list[str]:
    crashed = sum(c["crashed"] for c in report.by_column.values())
    lines = [f"{report.cases} mutated stores x {len(COMMANDS)} commands = {report.runs} runs: "
             f"{crashed} crashed; exit codes " + ", ".join(f"{k}: {v}" for k, v in sorted(report.codes.items()))]
    for column, counts in sorted(report.by_column.items()):
        lines.append(f"  {column}: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=str)))
    return lines + [f"  CRASH {line}" for line in report.crashes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=900)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edgetk-storefuzz-seed-") as tmp:
        db = Path(tmp) / "seed.sqlite"
        rows = seed_store(db)
        report = fuzz_store(db, rows, args.cases, args.seed)
    print("\n".join(summary_lines(report)))
    return 1 if report.crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
