"""The results store: every bench result appended to an embedded SQLite database.

Why SQLite: one file, no server, safe for several edgetk processes at once. WAL mode lets readers run
while one process writes; a busy timeout makes concurrent writers wait instead of failing. The schema is
versioned (``schema_version`` table) and migrated forward in place, one step at a time inside an
IMMEDIATE transaction, so a database written by an older edgetk is upgraded and never overwritten. A file
that is not a database (or one from a newer edgetk) is an error naming the file; edgetk never replaces it.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from toolkit.errors import BadInputError
from toolkit.paths import data_dir
from toolkit.provenance import TIMINGS, timing_from_stored
from toolkit.text import inert

BUSY_TIMEOUT_MS = 30_000


class ResultsStoreError(BadInputError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"results database {path}: {detail}")
        self.path = path
        self.detail = detail


def default_db_path() -> Path:
    return data_dir() / "results.sqlite"


# Version 1: the record itself. Version 2: the full bench document (findings, estimates) + lookup index.
_V1 = """
CREATE TABLE results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    model_path TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    target TEXT NOT NULL,
    device TEXT,
    transport TEXT NOT NULL,
    runtime TEXT,
    runtime_version TEXT,
    options_json TEXT NOT NULL,
    runner_json TEXT NOT NULL,
    edgetk_version TEXT NOT NULL
);
"""
_V2 = """
ALTER TABLE results ADD COLUMN bench_json TEXT;
CREATE INDEX results_by_model_target ON results (model_sha256, target);
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in filter(str.strip, sql.split(";")):
            conn.execute(statement)

    return apply


# Version 3: every row says where its latency came from (toolkit.provenance): the runner's timing, and
# the headline latency (the MCU estimate for an MCU target) with its own. Rows written before are given the
# value derivable from what they stored (transport, the bench document's "emulated" flag and MCU estimate).
_V3 = """
ALTER TABLE results ADD COLUMN timing TEXT;
ALTER TABLE results ADD COLUMN headline_timing TEXT;
ALTER TABLE results ADD COLUMN headline_p50_ms REAL;
CREATE INDEX results_by_target_time ON results (target, created_at)
"""


def _v3(conn: sqlite3.Connection) -> None:
    _script(_V3)(conn)
    rows = conn.execute("SELECT id, transport, runtime, runner_json, bench_json FROM results").fetchall()
    for record_id, transport, runtime, runner_json, bench_json in rows:
        bench = json.loads(bench_json) if bench_json else None
        runner_timing, headline_timing = timing_from_stored(transport, bench, runtime)
        mcu = (bench or {}).get("mcu_estimate") or {}
        p50 = mcu.get("latency_ms") if headline_timing == "estimated" else \
            (json.loads(runner_json).get("latency_ms") or {}).get("p50")
        conn.execute("UPDATE results SET timing = ?, headline_timing = ?, headline_p50_ms = ? WHERE id = ?",
                     (runner_timing, headline_timing, p50, record_id))


#: MIGRATIONS[n] takes a database from version n to n + 1 (0 = empty file).
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_script(_V1), _script(_V2), _v3]
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "id", "created_at", "model_path", "model_sha256", "target", "device", "transport", "runtime",
    "runtime_version", "options_json", "runner_json", "edgetk_version", "bench_json", "timing",
    "headline_timing", "headline_p50_ms",
)  # fmt: skip
#: Options that do not change what is timed: results differing only in these are comparable.
_NOT_TIMING_OPTIONS = frozenset({"runs", "warmup", "timeout", "keep_outputs", "inputs", "seed"})


def _utf8(text: str) -> str:
    """A file name that is not UTF-8 (Python holds its bytes as surrogates, which SQLite cannot store) with
    those bytes shown as ``\\xNN``, as every edgetk output shows them."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _figure(value: Any) -> Any:
    """A latency as people read it: 4 decimals of a millisecond (0.1 us), no float noise (0.7588539999999999)."""
    return round(float(value), 4) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _known_timing(value: str) -> str:
    if value not in TIMINGS:  # a figure whose provenance is unknown must not be shown as if it had one
        raise ValueError(f"must be one of {', '.join(TIMINGS)}")
    return value


Timing = Annotated[str, AfterValidator(_known_timing)]


class ResultRecord(BaseModel):
    """One stored result, validated as it is read: SQLite keeps any type in any column, and a row another tool
    wrote (or a hand edit) must be refused in one line naming the row and the field, not crash `results`."""

    model_config = ConfigDict(strict=True, frozen=True)
    id: int
    created_at: str
    model_path: str
    model_sha256: str
    target: str
    device: str | None
    transport: str
    runtime: str | None
    runtime_version: str | None
    options: dict[str, Any]
    runner: dict[str, Any]
    edgetk_version: str
    bench: dict[str, Any] | None
    timing: Timing  # provenance of the runner's latency: measured | emulated | host-run | software-gpu
    headline_timing: Timing  # provenance of p50_ms: the runner's, or "estimated" (the MCU estimate)
    headline_p50_ms: float | None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @property
    def comparable_options(self) -> dict[str, Any]:
        """The options that change what is timed (threads, XNNPACK, runtime, arena, accelerator)."""
        return {k: v for k, v in sorted(self.options.items()) if k not in _NOT_TIMING_OPTIONS}

    def same_setup(self, other: ResultRecord) -> bool:
        """Same model bytes, target, runtime (and version) and timing options: the two latencies compare."""
        return (self.model_sha256, self.target, self.device, self.runtime, self.runtime_version,
                self.comparable_options) == (other.model_sha256, other.target, other.device, other.runtime,
                                             other.runtime_version, other.comparable_options)  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """The flat row `results list` and CSV export show. ``p50_ms`` is the headline latency (the MCU
        estimate for an MCU target) and ``timing`` says where it came from; ``runner_p50_ms`` is what the
        runner timed, with ``runner_timing``."""
        latency = self.runner.get("latency_ms") or {}
        return {
            "id": self.id, "created_at": self.created_at, "model": Path(self.model_path).name,
            "model_sha256": self.model_sha256[:12], "target": self.target, "device": self.device or "",
            "transport": self.transport, "runtime": f"{self.runtime or ''} {self.runtime_version or ''}".strip(),
            "p50_ms": _figure(self.headline_p50_ms), "timing": self.headline_timing,
            "runner_p50_ms": _figure(latency.get("p50")), "runner_mean_ms": _figure(latency.get("mean")),
            "runner_timing": self.timing, "runs": latency.get("runs"), "edgetk_version": self.edgetk_version,
        }  # fmt: skip


class ResultsStore:
    """Append-only store of bench results. Open per use; every method is one short transaction."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsStoreError(self.path, f"cannot create its directory ({exc.strerror}); pass --db PATH") from None
        if self.path.is_dir():
            raise ResultsStoreError(self.path, "is a directory; pass --db with a file name")
        self._refuse_foreign()
        with self._connect() as conn:
            self._migrate(conn)

    def _refuse_foreign(self) -> None:
        """A SQLite file of another application is refused before anything touches it (no tables added, no
        switch to WAL): it is read through a read-only connection first."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        # immutable: no -wal/-shm created, no lock taken (edgetk creates schema_version in its first
        # transaction). Another edgetk may be creating the file right now: only a second, locked read-only
        # look confirms a foreign file; anything unreadable is left to the normal open, which reports damage.
        names = self._table_names("mode=ro&immutable=1")
        if names and "schema_version" not in names:
            names = self._table_names("mode=ro")
        if names and "schema_version" not in names:
            shown = ", ".join(sorted(names)[:5])
            raise ResultsStoreError(self.path, f"is a SQLite database of another application (tables: {shown}); "
                                    f"edgetk leaves it untouched — pass --db with another file")

    def _table_names(self, query: str) -> set[str]:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?{query}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.Error:
            return set()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise ResultsStoreError(self.path, f"cannot open ({exc})") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            yield conn
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ResultsStoreError(self.path, f"busy for more than {BUSY_TIMEOUT_MS // 1000} s ({exc})") from None
            if "disk" in str(exc) or "readonly" in str(exc) or "unable to open" in str(exc):
                raise ResultsStoreError(self.path, f"cannot write ({exc}); free space or pass --db PATH") from None
            raise ResultsStoreError(self.path, f"not a usable edgetk results database ({exc})") from None
        except sqlite3.DatabaseError as exc:
            raise ResultsStoreError(self.path, f"not a usable edgetk results database ({exc})") from None
        finally:
            conn.close()

    @contextmanager
    def _write(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        with self._write(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = row[0] or 0
            if version == 0 and conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'results'").fetchone():
                raise ResultsStoreError(self.path, "has a results table but no schema version; not an edgetk database")
            if version > SCHEMA_VERSION:
                raise ResultsStoreError(
                    self.path, f"schema version {version} is newer than this edgetk understands ({SCHEMA_VERSION})"
                )
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](conn)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (step + 1,))

    def schema_version(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def append(self, result: Any) -> int:
        """Store a BenchResult (anything with ``record_fields()``) or a dict of the record's fields."""
        fields = result.record_fields() if hasattr(result, "record_fields") else dict(result)
        row = {
            "created_at": fields["created_at"], "model_path": _utf8(str(fields["model_path"])),
            "model_sha256": fields["model_sha256"], "target": fields["target"], "device": fields.get("device"),
            "transport": fields["transport"], "runtime": fields.get("runtime"),
            "runtime_version": fields.get("runtime_version"), "options_json": json.dumps(fields["options"]),
            "runner_json": json.dumps(fields["runner"]), "edgetk_version": fields["edgetk_version"],
            "bench_json": json.dumps(fields["bench"]) if fields.get("bench") is not None else None,
        }  # fmt: skip
        runner_timing, headline_timing = timing_from_stored(row["transport"], fields.get("bench"), row["runtime"])
        headline = (fields.get("bench") or {}).get("headline") or {}
        p50 = headline.get("p50_ms") if "p50_ms" in headline else (fields["runner"].get("latency_ms") or {}).get("p50")
        row.update(timing=runner_timing, headline_timing=headline.get("timing", headline_timing), headline_p50_ms=p50)
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._connect() as conn, self._write(conn):
            cursor = conn.execute(f"INSERT INTO results ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608
            return int(cursor.lastrowid)

    def list(self, *, target: str | None = None, limit: int | None = None, model: str | None = None,
             since: str | None = None) -> list[ResultRecord]:
        """Records in the order they were stored. ``model``: a file name, path or sha256 prefix;
        ``since``: an ISO timestamp (created_at >= since, compared as UTC ISO strings)."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM results"  # noqa: S608
        where, params = [], []
        if target:
            where.append("target = ?")
            params.append(target)
        if model:
            model = _utf8(model)
            where.append("(model_path = ? OR model_path LIKE ? ESCAPE '\\' OR model_sha256 LIKE ?)")
            escaped = model.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params += [model, f"%/{escaped}", f"{model.lower()}%" if len(model) >= 6 else "-"]
        if since:
            where.append("created_at >= ?")
            params.append(since)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connect() as conn:
            return [_record(r, self.path) for r in conn.execute(sql, params).fetchall()]

    def get(self, record_id: int) -> ResultRecord:
        if not 0 < record_id < 2**63:  # SQLite ids are positive 64-bit integers
            raise BadInputError(f"no result with id {record_id} in {self.path} (ids are 1 .. 2^63-1)")
        with self._connect() as conn:
            row = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM results WHERE id = ?", (record_id,)).fetchone()  # noqa: S608
        if row is None:
            raise BadInputError(f"no result with id {record_id} in {self.path}")
        return _record(row, self.path)

    def export(self, fmt: str = "json", **filters: Any) -> str:
        records = self.list(**filters)
        if fmt == "json":
            return json.dumps({"schema": "edgetk.results/2", "results": [r.to_dict() for r in records]}, indent=2)
        if fmt == "csv":
            buffer = io.StringIO()
            rows = [r.summary() for r in records]
            fieldnames = list(rows[0]) if rows else ["id"]
            writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            return buffer.getvalue()
        raise BadInputError(f"unknown export format '{fmt}' (known: csv, json)")


class _Latency(BaseModel):
    """The runner figures readers use (summary, trend); other keys are kept as stored."""

    model_config = ConfigDict(extra="allow")
    p50: float | None = None
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    runs: int | None = None


class _Runner(BaseModel):
    model_config = ConfigDict(extra="allow")
    latency_ms: _Latency | None = None


class _Bench(BaseModel):
    model_config = ConfigDict(extra="allow")
    timing: str | None = None
    emulated: bool | None = None
    mcu_estimate: dict[str, Any] | None = None


class _Documents(BaseModel):
    """The stored documents' fields that readers use (summary, trend); the rest is kept as stored."""

    model_config = ConfigDict(strict=True)
    runner: _Runner
    bench: _Bench | None


_JSON_COLUMNS = {"options_json": "options", "runner_json": "runner", "bench_json": "bench"}


def _record(row: tuple[Any, ...], path: Path) -> ResultRecord:
    d = dict(zip(_COLUMNS, row, strict=True))
    try:
        for column, name in _JSON_COLUMNS.items():
            value = d.pop(column)
            d[name] = json.loads(value) if isinstance(value, str) else value
        record = ResultRecord.model_validate(d)
        _Documents.model_validate({"runner": record.runner, "bench": record.bench})
    except (ValueError, RecursionError) as exc:  # pydantic's ValidationError is a ValueError
        raise ResultsStoreError(path, _bad_row(path, d.get("id"), exc)) from None
    return record


def _bad_row(path: Path, record_id: Any, exc: Exception) -> str:
    import shlex

    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        detail = f"{inert(where)}: {inert(err['msg'])} (got {inert(repr(err.get('input'))[:40])})"
    else:
        detail = f"a JSON column is not JSON ({inert(str(exc)[:80])})"
    rid = record_id if isinstance(record_id, int) else "?"
    return (f"result {rid} is not a row edgetk wrote: {detail}; remove it with "
            f"sqlite3 {inert(shlex.quote(str(path)))} 'DELETE FROM results WHERE id = {rid}'")


@dataclass(frozen=True)
class StoreOutcome:
    """What storing a finished bench did: the ids it got, or why nothing was stored (the result is kept)."""

    ids: list[int | None]
    error: str | None = None

    @property
    def exit_code(self) -> int:
        from toolkit.errors import ExitCode

        return int(ExitCode.NOT_STORED if self.error else ExitCode.OK)

    def warning(self) -> str:
        """The one line printed after the (complete) result when it could not be stored."""
        return f"warning: result not stored: {self.error} (the result above is complete)"


def store_results(results: list[Any], db: Path | str | None) -> StoreOutcome:
    """Append each result; a store that cannot be opened or written is reported, never raised, so the caller
    still prints the finished measurement (and exits ``ExitCode.NOT_STORED``)."""
    from toolkit.errors import ToolkitError

    ids: list[int | None] = []
    try:
        store = ResultsStore(db)
        for result in results:
            ids.append(store.append(result))
    except ToolkitError as exc:
        return StoreOutcome(ids + [None] * (len(results) - len(ids)), exc.message)
    return StoreOutcome(ids)
