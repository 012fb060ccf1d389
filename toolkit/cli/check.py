"""`edgetk check MODEL --target NAME... | --all-targets [--verify] [--json] [--junit FILE]`: per-target verdicts.

With `--verify` each target's runtime is tried here (toolkit.targets.verify: LiteRT, tflite-runtime, TFLM with
the target's RAM as arena, the emulated Pi image when built): the outcome is the verdict ("verified"), the
static prediction stays beside it, and a contradiction is printed as "PREDICTION WRONG".

With `--device NAME...` (or `--on-device` for every device in devices.toml) the model is also tried on each
device through its transport (toolkit.devices.on_device): the predicted verdict for the device's target is
shown next to the observed one, and a disagreement is printed loudly (the op table is stale).

Exit 0 when every target runs the model (delegate fallback included), 1 (VERDICT_FAILED) when any
target cannot (or any device was observed not to), 2 for bad input; a device that could not be checked
gives its error's code (3 no runtime, 4 unreachable). No TensorFlow and no runtime is imported here.
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


def render(report: object, verbose: bool = False) -> None:
    from toolkit.report.check_text import print_lines, render_check
    from toolkit.report.verify_text import verify_lines

    print_lines([*render_check(report, verbose=verbose), *verify_lines(report)])


def render_devices(checks: list) -> None:
    from toolkit.report.check_text import print_lines, render_device_checks

    print_lines(render_device_checks(checks))


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
        from toolkit.model import load_model
        from toolkit.targets import check_model, load_registry

        devices = _device_names(device, on_device, inventory)
        if not target and not all_targets and not devices:
            raise BadInputError("name at least one --target or --device, or pass --all-targets / --on-device")
        registry = load_registry()
        descriptors = registry.all() if all_targets else [registry.get(name) for name in target]
        with load_model(model_path) as model:
            report = check_model(model, descriptors)
            if verify:
                from toolkit.targets.verify import VerifyOptions, verify_report

                options = VerifyOptions(timeout=verify_timeout, emulated=emulator)
                report = verify_report(model, report, descriptors, options)
        if devices:
            return _check_devices(report, model_path, devices, inventory, trust_new_host_key, ask_password,
                                  timeout, as_json, junit, bool(descriptors), verbose)
        if junit is not None:
            from toolkit.report.junit import check_suite, write_junit

            write_junit(junit, [check_suite(report, model_path.name)])
        if as_json:
            import sys

            typer.echo(json.dumps(report.to_dict(), indent=1))
            from toolkit.report.verify_text import prediction_wrong_lines

            for line in prediction_wrong_lines(report):
                print(line, file=sys.stderr)
        else:
            render(report, verbose)
        return int(ExitCode.OK if report.all_run else ExitCode.VERDICT_FAILED)


def _device_names(device: list[str], on_device: bool, inventory: Path | None) -> list[str]:
    if device or not on_device:
        return list(device)
    from toolkit.devices import load_inventory

    inv = load_inventory(inventory)
    if not inv.devices:
        raise BadInputError(f"--on-device: no devices in {inv.path} (add one with `edgetk devices add`)")
    return inv.names()


def _check_devices(report: object, model_path: Path, devices: list[str], inventory: Path | None,
                   trust_new_host_key: bool, ask_password: bool, timeout: float, as_json: bool,
                   junit: Path | None, show_targets: bool, verbose: bool = False) -> int:
    """One device after the other (an --ask-password prompt each), then one document / two tables."""
    import sys

    from toolkit.devices.on_device import check_document, check_exit_code, check_on_device
    from toolkit.report.device_check import disagreement_line
    from toolkit.report.junit import device_junit_suite

    checks = [check_on_device(model_path, name, inventory=inventory, trust_new_host_key=trust_new_host_key,
                              ask_password=ask_password, timeout=timeout) for name in devices]
    if junit is not None:
        from toolkit.report.junit import check_suite, write_junit

        write_junit(junit, [check_suite(report, model_path.name), device_junit_suite(checks, model_path.name)])
    if as_json:
        typer.echo(json.dumps(check_document(report, checks), indent=1))
        for c in checks:
            if c.agrees is False:
                print(disagreement_line(c), file=sys.stderr)
    else:
        if show_targets:
            render(report, verbose)
        render_devices(checks)
    return check_exit_code(report, checks)
