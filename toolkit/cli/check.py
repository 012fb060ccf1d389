"""`edgetk check MODEL --target NAME... | --all-targets [--verify] [--json] [--junit FILE]`: per-target verdicts.

With `--verify` each target's runtime is tried here (toolkit.targets.verify: LiteRT, tflite-runtime, TFLM with
the target's RAM as arena, the emulated Pi image when built): the outcome is the verdict ("verified"), the
static prediction stays beside it, and a contradiction is printed as "PREDICTION WRONG".

With `--device NAME...` (or `--on-device` for every device in devices.toml) the model is also tried on each
device through its transport (toolkit.devices.on_device): the predicted verdict for the device's target is
shown next to the observed one, and a disagreement is printed loudly (the op table is stale).

Exit 0 when every target runs the model (delegate fallback included), 1 (VERDICT_FAILED) when any
target cannot (or any device was observed not to), 2 for bad input (also when --verify could try no runtime
for a target because the runner cannot feed the model's own inputs: nothing was verified); a device that could
not be checked gives its error's code (3 no runtime, 4 unreachable). No TensorFlow and no runtime is imported here.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.options import (
    ask_password_option,
    inventory_option,
    seconds_option,
    trust_new_host_key_option,
)
from toolkit.errors import BadInputError, ExitCode


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_cmd(
        model_path: Path = typer.Argument(..., metavar="MODEL.tflite", help="The .tflite file to check."),
        target: list[str] = typer.Option([], "--target", "-t", help="Target name (repeatable)."),
        all_targets: bool = typer.Option(False, "--all-targets", help="Check against every known target."),
        as_json: bool = typer.Option(False, "--json", help="Print the edgetk.check/1 JSON document."),
        junit: Path | None = typer.Option(None, "--junit", help="Also write JUnit XML here (one case per target)."),
        device: list[str] = typer.Option(
            [], "--device", "-d", help="Also TRY the model on this device from devices.toml (repeatable)."
        ),
        on_device: bool = typer.Option(
            False, "--on-device", help="Try the model on the --device(s); without --device: every inventory device."
        ),
        inventory: Path | None = inventory_option(),
        trust_new_host_key: bool = trust_new_host_key_option(),
        ask_password: bool = ask_password_option(),
        timeout: float = seconds_option(600.0, "--timeout", "Seconds per device before the try is abandoned."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="List every finding, not only the groups."),
        verify: bool = typer.Option(
            False, "--verify", help="TRY the model in every runtime here for the targets; the outcome is the verdict."
        ),
        verify_timeout: float = seconds_option(20.0, "--verify-timeout", "Seconds per runtime try (--verify)."),
        emulator: bool = typer.Option(
            True, "--emulator/--no-emulator", help="--verify: also try Pi targets in their emulated image if built."
        ),
    ) -> int:
        """Say whether each target can run the model, and why not (op, version, dtype, memory).

        With --device / --on-device the model is also tried on each device: predicted vs observed.
        """
        from toolkit.devices.check_run import CheckRequest, run_check

        run = run_check(CheckRequest(
            model=model_path, targets=tuple(target), all_targets=all_targets, verify=verify,
            verify_timeout=verify_timeout, emulated=emulator, devices=tuple(device), on_device=on_device,
            inventory=inventory, trust_new_host_key=trust_new_host_key, ask_password=ask_password, timeout=timeout,
        ))  # fmt: skip
        from toolkit.report import check_run_text

        if junit is not None:
            from toolkit.report.junit import write_junit

            write_junit(junit, check_run_text.check_run_suites(run, model_path.name))
        if as_json:
            typer.echo(json.dumps(run.document(), indent=1))
            for line in check_run_text.loud_lines(run):
                typer.echo(line, err=True)
        else:
            check_run_text.print_check_run(run, verbose=verbose)
        if run.exit_code == ExitCode.BAD_INPUT and run.unverified_reason:  # printed (and written) first
            raise BadInputError(run.unverified_reason)
        return run.exit_code
