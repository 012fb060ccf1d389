"""Terminal rendering of a ConversionReport (rich). Kept apart from the CLI so scripts can reuse it."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from toolkit.convert.options import ConversionReport, NumericsVerdict


def print_report(report: ConversionReport, console: Any) -> None:
    from rich.table import Table

    builtin = "[green]builtin ops only[/]" if report.builtin_only else "[red]needs Flex/custom ops[/]"
    console.print(f"[bold]{report.output}[/]  {report.size_bytes:,} bytes  {builtin}  "
                  f"converted in {report.convert_seconds:.2f} s (total {report.total_seconds:.1f} s)")
    console.print(f"front-end {report.frontend}; inputs {report.input_shapes}"
                  + (f"; RNN form: {report.rnn_form}" if report.rnn_form else "")
                  + (f"; quantized: {report.quantize}" if report.quantize != "none" else ""))
    ops = Table("op", "count", box=None, pad_edge=False)
    for name, count in report.ops.items():
        ops.add_row(name, str(count))
    console.print(ops)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    for fix in report.fixes:
        console.print(f"[cyan]fix:[/] {fix}", markup=True)
    for warning in report.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}", markup=True)
    for check in report.numerics:
        if not check.ok:
            console.print(f"[red]numerics ({check.runtime}): failed — {check.error}[/]")
            continue
        errs = ", ".join(f"{o.name} max abs {o.max_abs:.3g} (rel {o.max_rel:.3g})" for o in check.outputs)
        console.print(f"numerics vs TF ({check.runtime}): {errs}")
    if report.quantization_error:
        console.print("quantization error vs the float TF model on the check inputs: " + ", ".join(
            f"{o.name} max abs {o.max_abs:.3g}" for o in report.quantization_error))
    verdict = report.numerics_verdict
    if verdict is not None:
        print_numerics_verdict(verdict, report.output, console)
    for row in report.targets:
        colour = {"runs": "green", "delegate-fallback": "yellow"}.get(row["verdict"], "red")
        ran = ", ".join(o["runtime"] for o in row.get("runtime_outcomes", []))
        how = f" (verified: {ran} on this host)" if row.get("evidence") == "verified" else " (predicted)"
        loud = "  [bold red]PREDICTION WRONG[/]" if row.get("prediction_wrong") else ""
        findings = list(dict.fromkeys(row["findings"]))  # one line per distinct finding
        console.print(f"target {row['target']}: [{colour}]{row['verdict']}[/]{how}{loud}"
                      + "".join(f"\n    {escape(m)}" for m in findings[:5])
                      + (f"\n    ... {len(findings) - 5} more" if len(findings) > 5 else ""))


def summary_line(verdict: NumericsVerdict) -> str:
    """"numerics: PASSED ..." / "numerics: FAILED ..." / "numerics: NOT CHECKED ..." in one line."""
    worst = f"worst relative error {verdict.worst_rel:.3g}, " if verdict.worst_rel is not None else ""
    limit = f"tolerance {verdict.tolerance:.3g} ({verdict.tolerance_source})"
    if verdict.status == "passed":
        return f"numerics: PASSED ({worst}{limit})"
    if verdict.status == "skipped":
        return "numerics: SKIPPED (--no-verify)"
    word = "FAILED" if verdict.status == "failed" else "NOT CHECKED"
    return f"numerics: {word} ({worst}{limit})"


def print_numerics_verdict(verdict: NumericsVerdict, output: str, console: Any) -> None:
    colour = "green" if verdict.status == "passed" else "yellow" if verdict.status == "skipped" else "bold red"
    console.print(f"[{colour}]{escape(summary_line(verdict))}[/]")
    if verdict.check_inputs:
        first, *ranges = verdict.check_inputs.split("; ")
        console.print(f"  check inputs: {first}", markup=False)
        for line in ranges:
            console.print(f"    {line}", markup=False)
    for reason in verdict.reasons:
        console.print(f"  {reason}", markup=False)
    if not verdict.ok:
        console.print(f"  the file is kept: {output}", markup=False)
