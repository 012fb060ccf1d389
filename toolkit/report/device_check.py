"""The loud line for a device check (`check --device`) whose observation contradicts the prediction.
Rendering only: the checks are ``toolkit.devices.on_device``; their JUnit cases are ``report.junit``."""

from __future__ import annotations

from toolkit.devices.on_device import DeviceCheck


def disagreement_line(check: DeviceCheck) -> str:
    """The loud one-liner for a prediction the device contradicted: the op table is stale."""
    p, o = check.predicted, check.observed
    why = f" ({o.message})" if o.message else ""
    return (f"PREDICTION WRONG on {check.device}: op table {p.op_table} ({p.runtime}) predicted '{p.verdict}' "
            f"for target {p.target}, the device observed '{o.verdict}'{why} — the op table is stale for this "
            f"device: re-probe it (`edgetk targets probe`) or fix the target's runtime version")
