"""`edgetk convert SOURCE -o OUT.tflite`: parse options, call ``convert_model``, render the report."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.errors import BadInputError


def _shapes(text: str | None) -> tuple[tuple[int, ...], ...] | None:
    """'1,10,4:1,5' → ((1, 10, 4), (1, 5)): one shape per input, in input order."""
    if not text:
        return None
    try:
        return tuple(tuple(int(d) for d in part.split(",")) for part in text.split(":"))
    except ValueError as exc:
        raise BadInputError(f"--input-shapes '{text}': expected e.g. 1,10,4:1,5") from exc


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip()) if text else ()


def register(app: typer.Typer) -> None:
    @app.command("convert")
    def convert(
        source: str = typer.Argument(..., help="SavedModel dir, .keras/.h5, path/to/file.py:function, or frozen .pb"),
        output: Path = typer.Option(..., "-o", "--output", help="Where to write the .tflite"),
        format: str = typer.Option("auto", "--format", help="auto | saved_model | keras | python | graphdef"),
        batch: int = typer.Option(1, "--batch", help="Fixed batch size for dynamic-batch inputs"),
        seq_len: int | None = typer.Option(None, "--seq-len", help="Fix a dynamic sequence length (dim 1)"),
        input_shapes: str | None = typer.Option(None, "--input-shapes", "--input-shape",
                                                help="Shapes per input, e.g. 1,10,4:1,5"),
        input_arrays: str | None = typer.Option(None, "--input-arrays", help="Frozen .pb: input names, comma-separated"),
        output_arrays: str | None = typer.Option(None, "--output-arrays", help="Frozen .pb: output names"),
        signature: str | None = typer.Option(None, "--signature",
                                             help="SavedModel signature key, or the tf.Module method to convert"),
        rnn: str = typer.Option("auto", "--rnn", help="LSTM lowering: fused | loop | auto (auto: by --target)"),
        quantize: str = typer.Option("none", "--quantize", help="none | dynamic | float16 | int8 | int16x8"),
        calibration: Path | None = typer.Option(None, "--calibration", help=".npz with one array per input"),
        inputs: Path | None = typer.Option(None, "--inputs", help=".npz of your own samples for the numerical check"),
        tolerance: float | None = typer.Option(None, "--tolerance",
                                               help="Max relative error of the check (default: per --quantize mode)"),
        integer_io: bool = typer.Option(False, "--integer-io", help="int8 (int16) inputs/outputs for MCUs"),
        allow_flex: bool = typer.Option(False, "--allow-flex", help="Accept Flex (TF Select) ops"),
        allow_custom: bool = typer.Option(False, "--allow-custom", help="Accept custom ops"),
        allow_resource_variables: bool = typer.Option(False, "--allow-resource-variables",
                                                      help="Accept VAR_HANDLE/READ_VARIABLE ops (intended state)"),
        target: list[str] = typer.Option([], "--target", help="Check the output against this target (repeatable)"),
        check_runtime: list[str] = typer.Option(["litert"], "--check-runtime",
                                                help="Run the numerical check in litert | litert-no-xnnpack | tflite-runtime | tflm"),
        no_verify: bool = typer.Option(False, "--no-verify", help="Skip the numerical check against TF"),
        seed: int = typer.Option(0, "--seed", help="Seed of the check inputs"),
        report: Path | None = typer.Option(None, "--report", help="Write the report as JSON (edgetk.convert/1)"),
        as_json: bool = typer.Option(False, "--json", help="Print the report (or the error) as JSON"),
        legacy: bool = typer.Option(False, "--legacy", help="Convert with the old converter (TOCO, TF 2.17) instead"),
        both: bool = typer.Option(False, "--both", help="Also convert with TOCO, to OUT.toco.tflite (see --legacy-output)"),
        legacy_output: Path | None = typer.Option(None, "--legacy-output", help="With --both: where TOCO's file goes"),
    ) -> None:
        """Convert a TensorFlow/Keras model to .tflite with fixed-batch RNNs, checked against TF."""
        from toolkit.convert import ConverterFailed, ConvertOptions, convert_model

        if legacy and both:
            raise BadInputError("--legacy and --both exclude each other")
        if legacy or both:  # fail on options TOCO cannot honour before any conversion starts
            from toolkit.convert.legacy import legacy_options_for, legacy_output_for

            toco_options = legacy_options_for(signature, quantize)
        if legacy:
            from toolkit.cli.legacy import run_legacy

            run_legacy(source, output, toco_options, as_json)
            return

        options = ConvertOptions(
            format=format, batch=batch, seq_len=seq_len, input_shapes=_shapes(input_shapes),
            input_arrays=_names(input_arrays), output_arrays=_names(output_arrays), signature=signature, rnn=rnn,
            quantize=quantize, calibration=str(calibration) if calibration else None, integer_io=integer_io,
            inputs=str(inputs) if inputs else None, tolerance=tolerance,
            allow_flex=allow_flex, allow_custom=allow_custom, allow_resource_variables=allow_resource_variables,
            targets=tuple(target), seed=seed, verify=not no_verify)
        from rich.console import Console

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        try:
            if as_json:
                result = convert_model(source, output, options, check_runtimes=tuple(check_runtime))
            else:
                with err.status("starting the converter", spinner="dots") as status:
                    result = convert_model(source, output, options, check_runtimes=tuple(check_runtime),
                                           progress=lambda text: status.update(text))
        except ConverterFailed as exc:
            if as_json:
                typer.echo(json.dumps(exc.to_json(), indent=2))
            elif exc.details:
                err.print(exc.details, markup=False)
            raise
        doc = result.to_json()
        if both:
            from toolkit.convert.legacy import convert_legacy

            with err.status("converting with the old converter (TOCO, TF 2.17)", spinner="dots"):
                toco = convert_legacy(source, legacy_output or legacy_output_for(output), toco_options)
            doc["legacy"] = toco.to_dict()  # TOCO refusing the model is a finding, not a failure of this command
        from toolkit.convert.quantize import RANDOM_CALIBRATION_WARNING

        if RANDOM_CALIBRATION_WARNING in result.warnings:  # loud on stderr even with --json
            err.print(f"[bold red]WARNING: {RANDOM_CALIBRATION_WARNING}[/]")
        if report:
            from toolkit.fileio import write_text

            write_text(report, json.dumps(doc, indent=2))
        if as_json:
            typer.echo(json.dumps(doc, indent=2))
        else:
            from toolkit.convert.render import print_report

            print_report(result, Console(highlight=False, soft_wrap=True))
            if both:
                _print_legacy(doc["legacy"])
        verdict = result.numerics_verdict
        if verdict is not None and not verdict.ok:
            from toolkit.convert.render import summary_line
            from toolkit.errors import NumericsFailed

            raise NumericsFailed(f"{summary_line(verdict)}: {verdict.reasons[0]} (file kept: {output})")


def _print_legacy(toco: dict) -> None:
    if toco["ok"]:
        typer.echo(f"old converter: wrote {toco['output']} ({toco['producer']}, TF {toco['tf_version']})")
    else:
        reasons = "; ".join(f["message"] for f in toco["findings"])
        typer.echo(f"old converter (TOCO, TF {toco['tf_version'] or '2.17'}) refused the model: {reasons}")
