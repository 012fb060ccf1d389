"""Terminal rendering of a ConversionReport (rich). Kept apart from the CLI so scripts can reuse it."""

from __future__ import annotations

from typing import Any

from toolkit.convert.options import ConversionReport


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
        console.print("quantization error vs float model on the calibration data: " + ", ".join(
            f"{o.name} max abs {o.max_abs:.3g}" for o in report.quantization_error))
    for row in report.targets:
        colour = {"runs": "green", "delegate-fallback": "yellow"}.get(row["verdict"], "red")
        console.print(f"target {row['target']}: [{colour}]{row['verdict']}[/]"
                      + "".join(f"\n    {m}" for m in row["findings"][:5]))
