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
        from toolkit.convert import ConverterFailed, ConvertOptions
        from toolkit.convert.convert_run import run_convert

        if legacy and both:
            raise BadInputError("--legacy and --both exclude each other")
        options = ConvertOptions(
            format=format, batch=batch, seq_len=seq_len, input_shapes=_shapes(input_shapes),
            input_arrays=_names(input_arrays), output_arrays=_names(output_arrays), signature=signature, rnn=rnn,
            quantize=quantize, calibration=str(calibration) if calibration else None, integer_io=integer_io,
            inputs=str(inputs) if inputs else None, tolerance=tolerance,
            allow_flex=allow_flex, allow_custom=allow_custom, allow_resource_variables=allow_resource_variables,
            targets=tuple(target), seed=seed, verify=not no_verify)
        from toolkit.report import convert_text

        err = convert_text.stderr_console()
        try:
            with convert_text.stage_spinner(err, "starting the converter", enabled=not as_json) as progress:
                run = run_convert(source, output, options, check_runtimes=tuple(check_runtime),
                                  legacy="only" if legacy else "both" if both else "no",
                                  legacy_output=legacy_output, progress=progress)
        except ConverterFailed as exc:
            convert_text.print_converter_failure(exc, err, as_json=as_json)
            raise
        convert_text.print_loud_warnings(run, err)  # on stderr, even with --json
        doc = run.document()
        if report:
            from toolkit.fileio import write_text

            write_text(report, json.dumps(doc, indent=2))
        if as_json:
            typer.echo(json.dumps(doc, indent=2))
        else:
            convert_text.print_convert_run(run)
        failure = run.failure()
        if failure is not None:
            raise failure
