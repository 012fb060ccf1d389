"""`edgetk check MODEL --target NAME... | --all-targets [--json] [--junit FILE]`: per-target verdicts.

Exit 0 when every target runs the model (delegate fallback included), 1 (VERDICT_FAILED) when any
target cannot, 2 for bad input. No TensorFlow and no runtime is imported here.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.errors import BadInputError, ExitCode

_STYLE = {"runs": "green", "delegate-fallback": "yellow", "does-not-run": "bold red"}


def render(report: object) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"edgetk check {report.model}", show_lines=True)  # type: ignore[attr-defined]
    for column in ("target", "runtime", "verdict", "arena est.", "findings"):
        table.add_column(column, overflow="fold")
    for r in report.results:  # type: ignore[attr-defined]
        lines = [escape(f"[{f.severity}] {f.message}") for f in r.findings] or ["-"]
        table.add_row(r.target, escape(r.runtime), f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
                      f"{r.arena_estimate_bytes:,} B", "\n".join(lines))
    Console(soft_wrap=False).print(table)


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_cmd(
        model_path: Path = typer.Argument(..., metavar="MODEL.tflite", help="The .tflite file to check."),
        target: list[str] = typer.Option([], "--target", "-t", help="Target name (repeatable)."),
        all_targets: bool = typer.Option(False, "--all-targets", help="Check against every known target."),
        as_json: bool = typer.Option(False, "--json", help="Print the edgetk.check/1 JSON document."),
        junit: Path | None = typer.Option(None, "--junit", help="Also write JUnit XML here (one case per target)."),
    ) -> int:
        """Say whether each target can run the model, and why not (op, version, dtype, memory)."""
        from toolkit.model import load_model
        from toolkit.targets import check_model, load_registry

        if not target and not all_targets:
            raise BadInputError("name at least one --target, or pass --all-targets")
        registry = load_registry()
        descriptors = registry.all() if all_targets else [registry.get(name) for name in target]
        with load_model(model_path) as model:
            report = check_model(model, descriptors)
        if junit is not None:
            from toolkit.report.junit import check_suite, write_junit

            write_junit(junit, [check_suite(report, model_path.name)])
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=1))
        else:
            render(report)
        return int(ExitCode.OK if report.all_run else ExitCode.VERDICT_FAILED)
