"""`edgetk check MODEL --device NAME`: predict the verdict, then actually try the model on the device.

The prediction (``toolkit.targets.check_model`` against the device's target descriptor) comes from op tables
measured once by ``edgetk targets probe``; a device can disagree with it (another runtime build, a newer
wheel, a table probed on another machine). So the model and the device-side runner go to the device through
its own transport and the runner creates the interpreter, allocates and invokes once with seeded inputs
(``--runs 1 --warmup 0``). What the device says is the observation; a prediction that disagrees with it is
reported loudly because it means the op table is stale.

Only the model's fate is an observation. A device that cannot be reached, or has no Python/runtime, is
"not-checked" with the error and the exit code it would have had: there is nothing to compare then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.devices.connect import transport_for_device
from toolkit.devices.inventory import Device, load_inventory
from toolkit.errors import BadInputError, ExitCode, ToolkitError
from toolkit.runtimes.protocol import Kind, RunnerOptions, classify, run_runner
from toolkit.targets.documents import Observed
from toolkit.transports.base import RunResult

RUNS, DOES_NOT_RUN, NOT_CHECKED = "runs", "does-not-run", "not-checked"


@dataclass(frozen=True)
class DeviceCheck:
    """A device's predicted verdict (from its target's op table) next to the observed one."""

    device: str
    transport: str
    emulated: bool
    predicted: Any  # toolkit.targets.check.TargetVerdict for the device's target descriptor
    observed: Observed

    @property
    def agrees(self) -> bool | None:
        """None when there is no observation; otherwise whether "can it run" matched."""
        if self.observed.verdict == NOT_CHECKED:
            return None
        return (self.predicted.verdict != DOES_NOT_RUN) == (self.observed.verdict == RUNS)

    @property
    def exit_code(self) -> int:
        if self.observed.verdict == DOES_NOT_RUN:
            return int(ExitCode.VERDICT_FAILED)
        return self.observed.exit_code

    def to_dict(self) -> dict[str, Any]:
        """One edgetk.check/1 result entry, with the device fields and the "observed" block added."""
        return {**self.predicted.to_dict(), "device": self.device, "transport": self.transport,
                "emulated": self.emulated, "observed": self.observed.model_dump(), "agrees": self.agrees}


def check_on_device(
    model_path: Path | str,
    device: str | Device,
    *,
    inventory: Path | str | None = None,
    trust_new_host_key: bool = False,
    ask_password: bool = False,
    timeout: float = 600.0,
) -> DeviceCheck:
    """Predict and observe whether ``device`` (an inventory name or entry) runs the model.

    Raises only for bad input (unknown device or target, malformed model); a device that cannot be reached
    or has no runtime comes back as ``observed.verdict == "not-checked"`` with its error.
    """
    from toolkit.model import load_model
    from toolkit.targets import check_model, load_registry

    model_path = Path(model_path)
    entry = load_inventory(inventory).get(device) if isinstance(device, str) else device
    descriptor = load_registry().get(entry.target)
    with load_model(model_path) as model:
        predicted = check_model(model, [descriptor]).results[0]
    transport = transport_for_device(entry, trust_new_host_key=trust_new_host_key, progress=False,
                                     ask_password=ask_password)
    start = time.monotonic()
    try:
        observed = _try_on_device(transport, model_path, descriptor, timeout)
    except BadInputError:
        raise
    except ToolkitError as exc:
        observed = Observed(verdict=NOT_CHECKED, kind=type(exc).__name__, message=exc.message,
                            exit_code=int(exc.exit_code))
    observed = _with_seconds(observed, time.monotonic() - start)
    return DeviceCheck(entry.name, transport.kind, transport.emulated, predicted, observed)


def _with_seconds(observed: Observed, seconds: float) -> Observed:
    return observed.model_copy(update={"seconds": round(seconds, 3)})


def _try_on_device(transport: Any, model_path: Path, descriptor: Any, timeout: float) -> Observed:
    runtime = transport.runtime or descriptor.runtime.name
    with transport:
        result = run_runner(transport, model_path, runtime, RunnerOptions(timeout=timeout))
    return observe(result, descriptor.name, runtime)


def observe(result: RunResult, target_name: str, runtime: str | None = None) -> Observed:
    """Turn one runner run (``--runs 1``) into an observation; raise when it says nothing about the model
    (the error ``protocol.classify`` gives it, with the exit code every verb gives the same outcome).

    ``runtime`` (the one asked for) names the runtime of a failed run, whose JSON does not carry it."""
    outcome = classify(result, target_name)
    if outcome.kind is Kind.OK:
        doc = outcome.document or {}
        return Observed(verdict=RUNS, runtime=outcome.runtime_label, arch=(doc.get("device") or {}).get("arch"),
                        init_ms=doc.get("init_ms"), first_inference_ms=doc.get("first_inference_ms"),
                        arena_bytes=outcome.arena_bytes)
    if not outcome.is_model_fate:
        raise outcome.error("the model", target_name)
    return Observed(verdict=DOES_NOT_RUN, runtime=runtime, kind=str(outcome.kind), message=outcome.message,
                    op=outcome.op, signal=outcome.signal, phase=outcome.phase if outcome.signal else None)


def check_document(report: Any, checks: list[DeviceCheck]) -> dict[str, Any]:
    """edgetk.check/1 for `check --target ... --device ...`: target results (predicted only) then device results
    (predicted + "observed"). ``all_run`` also needs every device to have been observed running the model."""
    doc = report.to_dict()
    doc["results"] = [*doc["results"], *(c.to_dict() for c in checks)]
    doc["all_run"] = bool(report.all_run and all(c.observed.verdict == RUNS for c in checks))
    doc["disagreements"] = [c.device for c in checks if c.agrees is False]
    return doc


def check_exit_code(report: Any, checks: list[DeviceCheck]) -> int:
    """1 when a target is predicted, or a device observed, not to run the model; else the first device that
    could not be checked gives its error's code (unreachable 4, no runtime 3); else 0."""
    if not report.all_run or any(c.observed.verdict == DOES_NOT_RUN for c in checks):
        return int(ExitCode.VERDICT_FAILED)
    return next((c.exit_code for c in checks if c.exit_code), int(ExitCode.OK))
