"""`edgetk convert` as text: the conversion report (rich), TOCO's outcome under --legacy / --both.

Op, tensor and output names come from the source model (a downloaded SavedModel is untrusted), messages from
TensorFlow: every value goes through ``markup_safe`` (inert, never markup) or ``inert``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.convert.options import ConversionReport, NumericsVerdict
from toolkit.convert.verdict import summary_line
from toolkit.report.markup import markup_safe as escape
from toolkit.report.progress import stage_spinner
from toolkit.text import inert, inert_lines

if TYPE_CHECKING:
    from toolkit.convert.convert_run import ConvertRun
    from toolkit.convert.legacy import LegacyResult


__all__ = ["print_convert_run", "print_converter_failure", "print_loud_warnings", "stage_spinner",
           "stderr_console"]


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_converter_failure(exc: Any, err: Any, *, as_json: bool) -> None:
    """Before the one-line error: the converter's failure document (--json, on stdout) or its traced
    details (the user's file:line first) on stderr."""
    import json

    if as_json:
        print(json.dumps(exc.to_json(), indent=2))
    elif exc.details:
        err.print(inert_lines(exc.details), markup=False)


def print_loud_warnings(run: ConvertRun, err: Any) -> None:
    """What must not be missed whatever the output format: int8 calibrated on random data."""
    if run.random_calibration:
        from toolkit.convert.quantize import RANDOM_CALIBRATION_WARNING

        err.print(f"[bold red]WARNING: {RANDOM_CALIBRATION_WARNING}[/]")


def print_convert_run(run: ConvertRun, console: Any = None) -> None:
    """The new converter's report, then TOCO's line (under --both); under --legacy TOCO's line alone."""
    if console is None:
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)
    if run.report is not None:
        print_report(run.report, console)
        if run.legacy is not None:
            console.print(inert(legacy_line(run.legacy)), markup=False)
    elif run.legacy is not None and run.legacy.ok:  # --legacy: a refusal is the command's one-line error
        console.print(inert(legacy_written_line(run.legacy)), markup=False)


def legacy_written_line(toco: LegacyResult) -> str:
    return f"wrote {toco.output} ({toco.producer}, TF {toco.tf_version})"


def legacy_line(toco: LegacyResult) -> str:
    """Under --both: 'old converter: wrote …' or 'old converter (TOCO, TF 2.17) refused the model: …'."""
    if toco.ok:
        return f"old converter: {legacy_written_line(toco)}"
    reasons = "; ".join(f.message for f in toco.findings)
    return f"old converter (TOCO, TF {toco.tf_version or '2.17'}) refused the model: {reasons}"


def print_report(report: ConversionReport, console: Any) -> None:
    from rich.table import Table

    builtin = "[green]builtin ops only[/]" if report.builtin_only else "[red]needs Flex/custom ops[/]"
    console.print(f"[bold]{escape(report.output)}[/]  {report.size_bytes:,} bytes  {builtin}  "
                  f"converted in {report.convert_seconds:.2f} s (total {report.total_seconds:.1f} s)")
    console.print(f"front-end {escape(report.frontend)}; inputs {escape(report.input_shapes)}"
                  + (f"; RNN form: {report.rnn_form}" if report.rnn_form else "")
                  + (f"; quantized: {report.quantize}" if report.quantize != "none" else ""))
    ops = Table("op", "count", box=None, pad_edge=False)
    for name, count in report.ops.items():
        ops.add_row(escape(name), str(count))
    console.print(ops)
    for note in report.notes:
        console.print(f"note: {inert(note)}", markup=False)
    for fix in report.fixes:
        console.print(f"[cyan]fix:[/] {escape(fix)}", markup=True)
    for warning in report.warnings:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}", markup=True)
    for check in report.numerics:
        if not check.ok:
            console.print(f"[red]numerics ({escape(check.runtime)}): failed — {escape(check.error)}[/]")
            continue
        errs = ", ".join(f"{escape(o.name)} max abs {o.max_abs:.3g} (rel {o.max_rel:.3g})" for o in check.outputs)
        console.print(f"numerics vs TF ({check.runtime}): {errs}")
    if report.quantization_error:
        console.print("quantization error vs the float TF model on the check inputs: " + ", ".join(
            f"{escape(o.name)} max abs {o.max_abs:.3g}" for o in report.quantization_error))
    verdict = report.numerics_verdict
    if verdict is not None:
        print_numerics_verdict(verdict, report.output, console)
    for row in report.targets:
        colour = {"runs": "green", "delegate-fallback": "yellow"}.get(row["verdict"], "red")
        ran = ", ".join(o["runtime"] for o in row.get("runtime_outcomes", []))
        how = f" (verified: {ran} on this host)" if row.get("evidence") == "verified" else " (predicted)"
        loud = "  [bold red]PREDICTION WRONG[/]" if row.get("prediction_wrong") else ""
        findings = list(dict.fromkeys(row["findings"]))  # one line per distinct finding
        console.print(f"target {escape(row['target'])}: [{colour}]{escape(row['verdict'])}[/]{how}{loud}"
                      + "".join(f"\n    {escape(m)}" for m in findings[:5])
                      + (f"\n    ... {len(findings) - 5} more" if len(findings) > 5 else ""))


def print_numerics_verdict(verdict: NumericsVerdict, output: str, console: Any) -> None:
    colour = "green" if verdict.status == "passed" else "yellow" if verdict.status == "skipped" else "bold red"
    console.print(f"[{colour}]{escape(summary_line(verdict))}[/]")
    if verdict.check_inputs:
        first, *ranges = verdict.check_inputs.split("; ")
        console.print(f"  check inputs: {inert(first)}", markup=False)
        for line in ranges:
            console.print(f"    {inert(line)}", markup=False)
    for reason in verdict.reasons:
        console.print(f"  {inert(reason)}", markup=False)
    if not verdict.ok:
        console.print(f"  the file is kept: {inert(output)}", markup=False)
