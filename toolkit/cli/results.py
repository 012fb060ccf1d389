"""`edgetk results list|show ID|export`: read the bench results database."""

from __future__ import annotations

import json
from pathlib import Path

import typer

results_app = typer.Typer(help="Stored bench results (SQLite).", no_args_is_help=True)
_DB = typer.Option(None, "--db", help="Results database (default: the user's data dir).")


def register(app: typer.Typer) -> None:
    app.add_typer(results_app, name="results")


@results_app.command("list")
def list_results(
    db: Path = _DB,
    target: str = typer.Option(None, "--target", help="Only results for this target."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One line per stored result."""
    from toolkit.bench import ResultsStore

    rows = [r.summary() for r in ResultsStore(db).list(target=target)]
    if as_json:
        typer.echo(json.dumps({"schema": "edgetk.results-list/1", "results": rows}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    columns = ("id", "created_at", "model", "target", "transport", "runtime", "p50_ms", "runs", "emulated")
    for column in columns:
        table.add_column(column, justify="right" if column in ("id", "p50_ms", "runs") else "left")
    for row in rows:
        p50 = row["p50_ms"]
        row = dict(row, p50_ms=f"{p50:.3f}" if isinstance(p50, int | float) else "-")
        table.add_row(*(str(row[c]) for c in columns))
    Console(highlight=False).print(table)


@results_app.command("show")
def show(record_id: int = typer.Argument(..., help="Result id (see `edgetk results list`)."), db: Path = _DB) -> None:
    """The full stored record as JSON."""
    from toolkit.bench import ResultsStore

    typer.echo(json.dumps(ResultsStore(db).get(record_id).to_dict(), indent=2))


@results_app.command("export")
def export(
    fmt: str = typer.Option("json", "--format", help="json (full records) or csv (one summary row each)."),
    out: Path = typer.Option(None, "--out", help="Write here instead of stdout."),
    db: Path = _DB,
) -> None:
    """Every stored result, for spreadsheets and other tools."""
    from toolkit.bench import ResultsStore

    text = ResultsStore(db).export(fmt)
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        from toolkit.fileio import write_text

        write_text(out, text)
        typer.echo(f"wrote {out}", err=True)
