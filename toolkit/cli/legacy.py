"""`edgetk legacy setup|status|convert`: the old converter (TOCO) in its own cached TF 2.17 environment."""

from __future__ import annotations

import json
from pathlib import Path

import typer

legacy_app = typer.Typer(help="The old converter (TOCO, TF 2.17.1) in an isolated cached environment.", no_args_is_help=True)


@legacy_app.command("setup")
def setup(force: bool = typer.Option(False, "--force", help="Recreate the environment even if it is ready.")) -> None:
    """Create the TF 2.17.1 + tf-keras 2.17 environment once (≈45 s, ≈1.3 GB download); later runs reuse it."""
    from toolkit.convert.legacy import legacy_env_status, setup_legacy_env

    typer.echo("setting up the legacy converter environment (tensorflow-cpu 2.17.1, tf-keras 2.17.0)...")
    setup_legacy_env(force=force)
    status = legacy_env_status()
    typer.echo(f"ready: {status.path} (tensorflow {status.tensorflow}, tf-keras {status.tf_keras})")


@legacy_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Say whether the legacy environment is ready, where it is, and what it contains."""
    from dataclasses import asdict

    from toolkit.convert.legacy import legacy_env_status

    st = legacy_env_status()
    if as_json:
        from toolkit.schemas import document

        typer.echo(json.dumps(document("edgetk.legacy-status/1", asdict(st)), indent=2))
    elif st.ready:
        typer.echo(f"ready: {st.path} (tensorflow {st.tensorflow}, tf-keras {st.tf_keras}, numpy {st.numpy})")
    else:
        typer.echo(f"not set up ({st.path}); run: edgetk legacy setup")


@legacy_app.command("convert")
def convert(
    source: str = typer.Argument(..., help="SavedModel dir, .h5/.keras file, or file.py:function."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the TOCO .tflite."),
    signature_key: str = typer.Option(None, "--signature-key", help="SavedModel signature to convert."),
    optimize: bool = typer.Option(False, "--optimize", help="Dynamic-range quantization (Optimize.DEFAULT)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Convert SOURCE with TOCO. When TOCO refuses the model, print why (the ops it wanted) and exit 5."""
    from toolkit.convert.convert_run import ConvertRun
    from toolkit.convert.legacy import LegacyOptions, convert_legacy

    result = convert_legacy(source, out, LegacyOptions(signature_key=signature_key, optimize_default=optimize))
    run = ConvertRun(source, out, None, result)  # the same document, text and failure as `convert --legacy`
    if as_json:
        typer.echo(json.dumps(run.document(), indent=2))
    elif result.ok:
        from toolkit.report.convert_text import legacy_written_line

        typer.echo(legacy_written_line(result))
    failure = run.failure()
    if failure is not None:
        raise failure


def register(app: typer.Typer) -> None:
    app.add_typer(legacy_app, name="legacy")
