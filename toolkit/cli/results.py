"""`edgetk results list|show ID|export|trend MODEL`: read the bench results database.

Every latency shown carries its provenance (`timing`: measured, emulated, host-run, estimated,
software-gpu); ``p50_ms`` is the headline figure (the MCU estimate for an MCU target).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

results_app = typer.Typer(help="Stored bench results (SQLite).", no_args_is_help=True)
_DB = typer.Option(None, "--db", help="Results database (default: the user's data dir).")
_MODEL = typer.Option(None, "--model", help="Only results of this model (file name, path or sha256 prefix).")
_TARGET = typer.Option(None, "--target", "-t", help="Only results for this target.")
_SINCE = typer.Option(None, "--since", help="Only results stored since: 7d, 12h, 30m or an ISO date/time.")


def register(app: typer.Typer) -> None:
    app.add_typer(results_app, name="results")


def _filters(model: str | None, target: str | None, since: str | None) -> dict[str, Any]:
    from toolkit.bench.history import parse_since

    return {"model": model, "target": target, "since": parse_since(since)}


@results_app.command("list")
def list_results(
    db: Path = _DB, model: str = _MODEL, target: str = _TARGET, since: str = _SINCE,
    as_json: bool = typer.Option(False, "--json", help="Print the edgetk.results-list/2 JSON document."),
) -> None:
    """One line per stored result: its headline p50 and where that figure came from."""
    from toolkit.bench import ResultsStore

    rows = [r.summary() for r in ResultsStore(db).list(**_filters(model, target, since))]
    if as_json:
        typer.echo(json.dumps({"schema": "edgetk.results-list/2", "results": rows}, indent=2))
        return
    from toolkit.report.results_text import print_results_list

    print_results_list(rows)


@results_app.command("show")
def show(record_id: int = typer.Argument(..., help="Result id (see `edgetk results list`)."), db: Path = _DB) -> None:
    """The full stored record as JSON."""
    from toolkit.bench import ResultsStore
    from toolkit.schemas import document

    typer.echo(json.dumps(document("edgetk.result/1", ResultsStore(db).get(record_id).to_dict()), indent=2))


@results_app.command("export")
def export(
    fmt: str = typer.Option("json", "--format", help="json (full records) or csv (one summary row each)."),
    out: Path = typer.Option(None, "--out", help="Write here instead of stdout."),
    db: Path = _DB, model: str = _MODEL, target: str = _TARGET, since: str = _SINCE,
) -> None:
    """Stored results, for spreadsheets and other tools."""
    from toolkit.bench import ResultsStore

    text = ResultsStore(db).export(fmt, **_filters(model, target, since))
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        from toolkit.fileio import write_text

        write_text(out, text)
        typer.echo(f"wrote {out}", err=True)


@results_app.command("trend")
def trend(
    model: str = typer.Argument(..., help="Model file name, path or sha256 prefix."),
    target: str = typer.Option(..., "--target", "-t", help="Target of the results."),
    since: str = _SINCE, db: Path = _DB,
    threshold: float = typer.Option(0.1, "--threshold", min=0.0, help="Regression threshold (0.1 = 10%)."),
    html: Path = typer.Option(None, "--html", help="Also write an HTML page with the p50-over-time plot."),
    as_json: bool = typer.Option(False, "--json", help="Print the edgetk.results-trend/1 JSON document."),
) -> None:
    """p50 over time of MODEL on a target; exit 1 when the latest result is a regression (measured or
    estimated figure) against the previous result of the same model, target, runtime and options."""
    from toolkit.bench import ResultsStore
    from toolkit.bench.history import latency_trend

    result = latency_trend(ResultsStore(db), model, target, since=_filters(None, None, since)["since"],
                           threshold=threshold)
    doc = result.to_dict()
    if html:
        from toolkit.report.html import write_trend_html

        write_trend_html(html, doc)
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        from toolkit.report.results_text import print_trend

        print_trend(doc)
        if html:
            typer.echo(f"wrote {html}", err=True)
    if result.latest_regression:
        raise typer.Exit(1)
