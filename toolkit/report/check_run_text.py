"""`edgetk check` output for a whole ``CheckRun`` (toolkit.devices.check_run): the target table with the
--verify block, the device table, the loud lines for --json's stderr, and the JUnit suites."""

from __future__ import annotations

from typing import Any

from toolkit.report.check_text import print_lines, render_check, render_device_checks
from toolkit.report.device_check import disagreement_line
from toolkit.report.verify_text import prediction_wrong_lines, verify_lines
from toolkit.text import inert


def print_check_run(run: Any, *, verbose: bool = False) -> None:
    """Targets (unless only devices were named), then devices: what the terminal shows."""
    if run.targets_named or not run.device_checks:
        print_lines([*render_check(run.report, verbose=verbose), *verify_lines(run.report)])
    if run.device_checks:
        print_lines(render_device_checks(run.device_checks))


def loud_lines(run: Any) -> list[str]:
    """Every contradiction of a prediction in this run, for stderr under --json (the document flags them)."""
    return [inert(line) for line in [*prediction_wrong_lines(run.report),
                                     *(disagreement_line(c) for c in run.device_checks if c.agrees is False)]]


def check_run_suites(run: Any, model_name: str) -> list[Any]:
    """JUnit: one suite of target cases, and one of device cases when devices were tried."""
    from toolkit.report.junit import check_suite, device_junit_suite

    suites = [check_suite(run.report, model_name)]
    if run.device_checks:
        suites.append(device_junit_suite(run.device_checks, model_name))
    return suites
