"""`edgetk compare NEW OLD`: new converter output vs the old one (or any baseline), with a CI verdict.

Exit code 1 when the comparison finds a regression (docs/REPORTS.md lists the rules).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.options import seconds_option


def compare(
    new: Path = typer.Argument(..., help="The new .tflite (e.g. MLIR converter output)."),
    old: Path = typer.Argument(None, help="The old .tflite (e.g. TOCO output)."),
    baseline: Path = typer.Option(None, "--baseline", help="Baseline .tflite (same as OLD)."),
    legacy_from: str = typer.Option(None, "--legacy-from", help="Convert this source with TOCO and use it as OLD."),
    target: list[str] = typer.Option([], "--target", "-t", help="Target descriptor (repeatable)."),
    bench: bool = typer.Option(False, "--bench", help="Bench both models on each target (interleaved rounds)."),
    device: str = typer.Option(None, "--device", help="Device from devices.toml for --bench."),
    rounds: int = typer.Option(4, "--rounds", min=2, help="Interleaved bench rounds per model."),
    runs: int = typer.Option(20, "--runs", min=1, help="Timed runs per round."),
    threshold: float = typer.Option(0.1, "--threshold", min=0.0, help="Latency regression threshold (0.1 = 10%)."),
    atol: float = typer.Option(1e-4, "--atol", help="Absolute tolerance for output differences."),
    rtol: float = typer.Option(1e-3, "--rtol", help="Relative tolerance for output differences."),
    reference: Path = typer.Option(None, "--reference", help=".npz with input_<i>/output_<i> reference arrays."),
    seed: int = typer.Option(0, "--seed", help="Seed for the generated inputs."),
    quantized: bool = typer.Option(
        None, "--quantized/--exact",
        help="Quantization-aware: output differences are accuracy drift and size/latency are gains, not "
             "regressions (default: automatic when the models' weight or I/O dtypes differ)."),
    as_json: bool = typer.Option(False, "--json", help="Print the edgetk.compare/1 JSON document."),
    out_json: Path = typer.Option(None, "--out", "-o", help="Also write the JSON document to this file."),
    junit: Path = typer.Option(None, "--junit", help="Write JUnit XML (one test case per model x target)."),
    html: Path = typer.Option(None, "--html", help="Write a self-contained HTML report."),
    timeout: float = seconds_option(300.0, "--timeout", "Seconds each runtime child (the numerics run, each bench round) may take."),
) -> int:
    """Compare NEW against OLD: ops, op support per target, numerics, latency; exit 1 on a regression."""
    from toolkit.report.compare_run import compare_with_old
    from toolkit.report.latency import BenchPlan

    plan = BenchPlan(tuple(target), device, rounds, runs, timeout=timeout) if bench else None
    result = compare_with_old(new, old=old, baseline=baseline, legacy_from=legacy_from, targets=target, bench=plan,
                              reference=reference, threshold=threshold, atol=atol, rtol=rtol, seed=seed,
                              quantized=quantized, timeout_s=timeout)
    doc = result.to_dict()
    _write_outputs(doc, out_json, junit, html)
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        from toolkit.report.terminal import render_comparison

        render_comparison(doc)
    return int(result.exit_code)


def _write_outputs(doc: dict, out_json: Path | None, junit: Path | None, html: Path | None) -> None:
    if out_json:
        from toolkit.fileio import write_text

        write_text(out_json, json.dumps(doc, indent=2))
    if junit:
        from toolkit.report.junit import compare_suite, write_junit

        write_junit(junit, [compare_suite(doc)])
    if html:
        from toolkit.report.html import write_html_report

        write_html_report(html, [doc])


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
