"""What `edgetk check` does, as one library call: the static verdicts per target, then (``verify``) the
model tried in every runtime here, then (``devices``) tried on each inventory device.

Why here and not in the CLI: the verdict a CI job reads from ``run_check`` is the one the command prints,
with the same evidence rule (a runtime's outcome is the verdict, the prediction stands beside it) and the
same exit code. Devices are checked one after the other, so an --ask-password prompt is never interleaved.
No TensorFlow and no runtime is imported in this process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.devices.on_device import DeviceCheck, check_document, check_exit_code, check_on_device
from toolkit.errors import BadInputError, ExitCode


@dataclass(frozen=True)
class CheckRequest:
    """Everything `edgetk check` was asked (``on_device`` without ``devices``: every inventory device)."""

    model: Path
    targets: tuple[str, ...] = ()
    all_targets: bool = False
    verify: bool = False
    verify_timeout: float = 20.0
    emulated: bool = True  # --verify: also try Pi targets in their emulated image when it is built
    devices: tuple[str, ...] = ()
    on_device: bool = False
    inventory: Path | None = None
    trust_new_host_key: bool = False
    ask_password: bool = False
    timeout: float = 600.0  # per device


@dataclass(frozen=True)
class CheckRun:
    """The check report (verified when asked) and each device's predicted-vs-observed check."""

    report: Any  # toolkit.targets.CheckReport
    device_checks: list[DeviceCheck]
    targets_named: bool  # targets were asked for (their table is shown beside the devices)

    def document(self) -> dict[str, Any]:
        """edgetk.check/1: the target results, then the device results with their "observed" block."""
        if self.device_checks:
            return check_document(self.report, self.device_checks)
        return self.report.to_dict()

    @property
    def unverified_reason(self) -> str | None:
        """--verify could try no runtime for a target because of the model's own inputs (else None)."""
        from toolkit.targets.verify import unverified_reason

        return unverified_reason(self.report)

    @property
    def exit_code(self) -> int:
        """1 when a target (or a device) cannot run the model, else a device's error code, else 2 when --verify
        could try no runtime for a target because of the model's own inputs, else 0."""
        code = check_exit_code(self.report, self.device_checks)
        return code or (int(ExitCode.BAD_INPUT) if self.unverified_reason else int(ExitCode.OK))


def device_names(devices: tuple[str, ...], on_device: bool, inventory: Path | None) -> list[str]:
    """The devices to try: the named ones, or with ``on_device`` alone every device in the inventory."""
    if devices or not on_device:
        return list(devices)
    from toolkit.devices.inventory import load_inventory

    inv = load_inventory(inventory)
    if not inv.devices:
        raise BadInputError(f"--on-device: no devices in {inv.path} (add one with `edgetk devices add`)")
    return inv.names()


def run_check(request: CheckRequest) -> CheckRun:
    """Check as `edgetk check` does; bad input (no target and no device, unknown names, a malformed model) is
    raised before any runtime or device is tried."""
    from toolkit.model import load_model
    from toolkit.targets import check_model, load_registry

    devices = device_names(request.devices, request.on_device, request.inventory)
    if not request.targets and not request.all_targets and not devices:
        raise BadInputError("name at least one --target or --device, or pass --all-targets / --on-device")
    registry = load_registry()
    descriptors = registry.all() if request.all_targets else [registry.get(name) for name in request.targets]
    with load_model(request.model) as model:
        report = check_model(model, descriptors)
        if request.verify:
            from toolkit.targets.verify import VerifyOptions, verify_report

            options = VerifyOptions(timeout=request.verify_timeout, emulated=request.emulated)
            report = verify_report(model, report, descriptors, options)
    checks = [check_on_device(request.model, name, inventory=request.inventory,
                              trust_new_host_key=request.trust_new_host_key, ask_password=request.ask_password,
                              timeout=request.timeout) for name in devices]
    return CheckRun(report, checks, bool(descriptors))
