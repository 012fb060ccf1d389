"""`edgetk report RESULTS.json... --html report.html [--junit FILE]`: one page (or JUnit) from saved results."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.errors import BadInputError


def report(
    results: list[Path] = typer.Argument(..., help="JSON files from check/bench/compare --json or convert --report."),
    html_out: Path = typer.Option(None, "--html", help="Write one self-contained HTML page here."),
    junit: Path = typer.Option(None, "--junit", help="Write JUnit XML for the check, compare and bench documents."),
    title: str = typer.Option("edgetk report", "--title", help="Page title."),
) -> None:
    """Render saved results: HTML with plots (latency, op support, per-op cost, new vs old) and/or JUnit."""
    from toolkit.report.html import write_html_report
    from toolkit.report.inputs import load_results
    from toolkit.text import inert

    if not html_out and not junit:
        raise BadInputError("nothing to write: give --html FILE and/or --junit FILE")
    docs = load_results(results)
    if html_out:
        write_html_report(html_out, docs, title)
        typer.echo(f"wrote {inert(str(html_out))}")
    if junit:
        from toolkit.report.junit import report_suites, write_junit

        write_junit(junit, report_suites(docs))
        typer.echo(f"wrote {inert(str(junit))}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
