"""Documents of the versions `report` reads, written by an older edgetk: what they did not record says so.

Fields added to a schema version after it was first published are optional in the typed models
(toolkit.*.documents). After validation, `report` fills the ones every renderer reads: a latency whose
provenance was not recorded is ``unknown`` (toolkit.provenance.UNKNOWN, "written by an older edgetk") unless
the document's own fields make it relative-only (``"emulated": true``; TFLM: host-run) -- never ``measured``;
an MCU estimate stays ``estimated`` (the document says ``"estimated": true``). The names of the fields filled are kept under ``"_unrecorded"`` for the inputs table.
"""

from __future__ import annotations

from typing import Any

from toolkit.provenance import ESTIMATED, TIMING_NOTES, UNKNOWN, headline_latency, unrecorded_timing


def fill_unrecorded(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a validated document) with its unrecorded fields filled; ``doc["_unrecorded"]`` names them."""
    family = str(doc.get("schema", "")).partition("/")[0]
    filled: list[str] = []
    if family == "edgetk.bench":
        for rec in doc["results"] if isinstance(doc.get("results"), list) else [doc]:
            _bench(rec, filled)
    elif family == "edgetk.compare":
        for i, row in enumerate(doc.get("latency") or []):
            _compare_row(row, f"latency[{i}]", filled)
    if filled:
        doc["_unrecorded"] = sorted(set(filled))
    return doc


def _bench(rec: dict[str, Any], filled: list[str]) -> None:
    runner = rec.get("runner") or {}
    if rec.get("timing") is None:
        rec["timing"] = unrecorded_timing(rec.get("transport") or "", bool(rec.get("emulated")),
                                          (runner.get("runtime") or {}).get("name"))
        filled.append("timing")
    mcu = rec.get("mcu_estimate")
    if mcu and mcu.get("timing") is None:
        mcu["timing"] = ESTIMATED
    if rec.get("headline") is None:
        head = headline_latency(runner.get("latency_ms") or {}, rec["timing"], mcu)
        if head["timing"] == UNKNOWN and rec.get("timing_note"):
            head["note"] = f"{TIMING_NOTES[UNKNOWN]}; its note: {rec['timing_note']}"
        rec["headline"] = head
        filled.append("headline")


def _compare_row(row: dict[str, Any], where: str, filled: list[str]) -> None:
    if row.get("timing") is None:
        row["timing"] = _target_timing(str(row.get("target")), bool(row.get("emulated")))
        filled.append(f"{where}.timing")
    if row.get("verdict_timing") is None:
        row["verdict_timing"] = ESTIMATED if row.get("estimate") else row["timing"]
        filled.append(f"{where}.verdict_timing")


def _target_timing(target: str, emulated: bool) -> str:
    """A compare row's rounds without `timing`: the target's transport as ``unrecorded_timing`` reads it."""
    from toolkit.errors import ToolkitError
    from toolkit.targets import load_registry

    try:
        transport = load_registry().get(target).reach.transport
    except ToolkitError:
        transport = ""
    return unrecorded_timing(transport, emulated)
