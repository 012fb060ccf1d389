"""Where a latency figure came from: the one vocabulary every output uses (terminal, JSON, store, HTML, JUnit).

A number without its provenance misleads: TFLM on an x86 host says nothing about a Cortex-M4's latency, and
qemu-user time is not a Pi's. So every latency edgetk shows carries one of these ``timing`` values, decided
here and nowhere else:

* ``measured``     -- timed on the device itself (this host for host targets, a Pi over SSH, a phone over adb)
* ``emulated``     -- timed under qemu-user on this host: relative comparisons only
* ``host-run``     -- the target's runtime executed on this host (TFLM for an MCU target): relative only
* ``estimated``    -- a model's prediction (the MCU cycle model), not a timing
* ``software-gpu`` -- LiteRT's GPU accelerator on SwiftShader (a CPU rendering GPU calls): relative only

``headline_latency`` picks THE latency of a bench result: the MCU estimate for an MCU target (its host-run
TFLM time is an x86's), else the runner's p50 with its timing.

A delegate changes what was measured, not where: a phone's GPU run through benchmark_model ``--use_gpu`` is
``measured`` with ``delegate = "GPU"``, and every note about it says "with the GPU delegate"
(``with_delegate``). LiteRT's GPU accelerator on this host is ``software-gpu``, never ``measured``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MEASURED, EMULATED, HOST_RUN, ESTIMATED, SOFTWARE_GPU = "measured", "emulated", "host-run", "estimated", "software-gpu"
TIMINGS = (MEASURED, EMULATED, HOST_RUN, ESTIMATED, SOFTWARE_GPU)
#: Shown for a figure of a document written by an edgetk that did not record its provenance yet; never written
#: into a new document (it is not one of TIMINGS) and never a gating figure.
UNKNOWN = "unknown"
#: Figures that say something about the device's own speed; the others are for relative comparisons only.
ABSOLUTE_TIMINGS = frozenset({MEASURED, ESTIMATED})
#: A CI gate may fail on these (a regression on emulated or host-run time is only a hint).
GATING_TIMINGS = ABSOLUTE_TIMINGS

TIMING_NOTES = {
    MEASURED: "measured on the device",
    EMULATED: "emulated (qemu-user on this host): for relative comparisons only, not the device's latency",
    HOST_RUN: "host-run (the target's runtime on this host's CPU): for relative comparisons only",
    ESTIMATED: "estimated by the MCU cycle model (docs/MCU_ESTIMATE.md), not a measurement",
    SOFTWARE_GPU: "software GPU (SwiftShader) — not a phone's latency: LiteRT's GPU accelerator on this host's "
                  "CPU, for relative comparisons only",
    UNKNOWN: "unknown (written by an older edgetk that did not record where the figure came from)",
}

#: The few words a terminal line or a table cell has room for.
SHORT_NOTES = {
    MEASURED: "measured on the device",
    EMULATED: "emulated: relative comparisons only",
    HOST_RUN: "host-run: relative comparisons only",
    ESTIMATED: "estimated by the MCU cycle model",
    SOFTWARE_GPU: "software GPU (SwiftShader) — not a phone's latency",
    UNKNOWN: "unknown (written by an older edgetk)",
}


def runner_timing(transport_kind: str, emulated: bool, runtime: str | None = None,
                  accelerator: str | None = None) -> str:
    """The provenance of the runner's own timings on a transport. ``accelerator="gpu"`` on this host is LiteRT's
    GPU accelerator on SwiftShader (software-gpu); on a device (adb) it is the phone's GPU delegate: measured."""
    if accelerator == "gpu" and transport_kind == "local":
        return SOFTWARE_GPU
    if transport_kind == "tflm" or runtime == "tflm":
        return HOST_RUN
    if emulated or transport_kind == "emulator":
        return EMULATED
    return MEASURED


def with_delegate(note: str, delegate: str | None) -> str:
    """A timing note naming the delegate the device ran (``"GPU"``): "measured on the device with the GPU delegate"."""
    return f"{note} with the {delegate} delegate" if delegate else note


def headline_latency(runner_latency: Mapping[str, Any], timing: str,
                     mcu_estimate: Mapping[str, Any] | None, delegate: str | None = None) -> dict[str, Any]:
    """{"p50_ms", "timing", "source", "note"} (and "delegate" when one ran): the one latency to show."""
    if mcu_estimate and isinstance(mcu_estimate.get("latency_ms"), int | float):
        return {"p50_ms": float(mcu_estimate["latency_ms"]), "timing": ESTIMATED, "source": "mcu_estimate",
                "note": TIMING_NOTES[ESTIMATED]}
    p50 = runner_latency.get("p50")
    head = {"p50_ms": float(p50) if isinstance(p50, int | float) else None, "timing": timing, "source": "runner",
            "note": with_delegate(TIMING_NOTES.get(timing, timing), delegate)}
    return {**head, "delegate": delegate} if delegate else head


def timing_from_stored(transport: str, bench: Mapping[str, Any] | None, runtime: str | None) -> tuple[str, str]:
    """(runner timing, headline timing) of a result stored before edgetk recorded them: derived from what the
    row did store (the transport, the bench document's "emulated" flag and MCU estimate)."""
    bench = bench or {}
    if bench.get("timing") in TIMINGS:
        runner = str(bench["timing"])
    else:
        runner = runner_timing(transport, bool(bench.get("emulated")), runtime)
    headline = ESTIMATED if (bench.get("mcu_estimate") or {}).get("latency_ms") is not None else runner
    return runner, headline


def unrecorded_timing(transport_kind: str, emulated: bool, runtime: str | None = None) -> str:
    """The timing of a figure an older edgetk wrote without recording it: what its own fields say when that makes
    it relative-only (``"emulated": true``, a TFLM transport or runtime: host-run), else ``unknown`` -- a figure
    whose provenance was not recorded is never promoted to ``measured``."""
    timing = runner_timing(transport_kind, emulated, runtime)
    return UNKNOWN if timing == MEASURED else timing


def document_latency(rec: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(runner timing, headline) of one bench result in its JSON form, also one an older edgetk wrote before it
    recorded them (then ``unrecorded_timing``; its MCU estimate stays ``estimated``, as the document says)."""
    runner = rec.get("runner") or {}
    if rec.get("timing") in TIMINGS:
        timing = str(rec["timing"])
    else:
        timing = unrecorded_timing(rec.get("transport") or "", bool(rec.get("emulated")),
                                   (runner.get("runtime") or {}).get("name"))
    head = rec.get("headline") or headline_latency(runner.get("latency_ms") or {}, timing, rec.get("mcu_estimate"))
    return timing, dict(head)


def is_relative_only(timing: str | None) -> bool:
    return timing not in ABSOLUTE_TIMINGS


def label(timing: str | None) -> str:
    """The short word shown next to a figure: "measured", "emulated", ..."""
    return timing or "unknown provenance"
