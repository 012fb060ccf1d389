"""Report section for the estimated MCU latency of bench documents: the figure, its kernel family and
calibration error, and the top ops by estimated cycles — every cell of it labelled estimated."""

from __future__ import annotations

from pathlib import Path

from toolkit.report.sections import Section, Table


def _records(doc: dict) -> list[dict]:
    return doc["results"] if isinstance(doc.get("results"), list) else [doc]


def mcu_section(docs: list[dict]) -> Section | None:
    """One summary table over every bench result with an ``mcu_estimate``, then one top-ops table each
    (documents stored before kernel classes and top ops existed show "-" there)."""
    section = Section("MCU latency (estimated: per-op cycle model, docs/MCU_ESTIMATE.md)")
    rows = []
    for doc in docs:
        if not doc["schema"].startswith("edgetk.bench"):
            continue
        for rec in _records(doc):
            m = rec.get("mcu_estimate")
            if not m:
                continue
            label = f"{Path((rec.get('model') or {}).get('path') or '?').name} @ {m.get('target') or rec.get('target')}"
            mhz = f"{m['clock_hz'] / 1e6:g}" if isinstance(m.get("clock_hz"), int | float) else "-"
            rows.append([label, f"{m['latency_ms']:.4g}", mhz, m.get("kernels", "-"), m.get("kernel_class", "-"),
                         m.get("calibration_error", "-"), m.get("note", "")])  # fmt: skip
            top = [[str(op["index"]), op["op"], f"{op['cycles']:,}", f"{op['ms']:.3g}", f"{op['share']:.0%}"]
                   for op in m.get("top_ops", [])]  # fmt: skip
            if top:
                section.tables.append(Table(["#", "op", "cycles (estimated)", "ms (estimated)", "share"], top,
                                            caption=f"{label}: top ops by estimated cycles"))  # fmt: skip
    if not rows:
        return None
    headers = ["model @ target", "latency ms (estimated)", "MHz", "kernels", "class", "calibration error", "note"]
    section.tables.insert(0, Table(headers, rows))
    return section
