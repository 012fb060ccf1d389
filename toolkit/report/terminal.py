"""Terminal rendering (rich) of a comparison, from its ``edgetk.compare/1`` dict.

Rendering from the JSON form means `edgetk compare` and a saved results file print identically. Every value
from the models or the document (producer strings, op and target names, messages) goes through
``markup_safe``: inert, and never read as rich markup.
"""

from __future__ import annotations

from typing import Any

from toolkit.provenance import UNKNOWN
from toolkit.report.markup import markup_safe as m

_SEVERITY_STYLE = {"regression": "bold red", "warning": "yellow", "improvement": "green", "info": "cyan"}


def _side_rows(doc: dict) -> list[tuple[str, str, str]]:
    new, old = doc["new"], doc.get("old") or {}
    def val(side: dict, key: str) -> str:
        return "-" if not side else m(side.get(key))
    rows = [(k, val(new, k), val(old, k) if old else "not converted")
            for k in ("producer", "size_bytes", "subgraphs", "operators")]
    rows.append(("MACs (estimated)", val(new, "total_macs"), val(old, "total_macs") if old else "-"))  # cost model
    rows.append(("flex/custom ops", m(", ".join(new["flex_ops"] + new["custom_ops"]) or "none"),
                 m(", ".join(old["flex_ops"] + old["custom_ops"]) or "none") if old else "-"))
    return rows


def render_comparison(doc: dict, console: Any = None) -> None:
    """Print models side by side, op changes, per-target support, numerics, latency and findings."""
    from rich.console import Console
    from rich.table import Table

    from toolkit.report.verdicts import MIN_LATENCY_DIFF_MS, target_cells

    console = console or Console()
    console.print(_summary_line(doc), highlight=False)
    sides = Table(title="new vs old", show_lines=False)
    for col in ("", "new", "old"):
        sides.add_column(col)
    for row in _side_rows(doc):
        sides.add_row(*row)
    console.print(sides)
    ops = doc.get("ops")
    if ops:
        console.print(f"ops added: {m(ops['added'] or '-')}   removed: {m(ops['removed'] or '-')}")
        for ch in ops["version_changed"]:
            console.print(f"  {m(ch['op'])}: version {m(ch['old'])} -> {m(ch['new'])}")
        for ch in ops["count_changed"]:
            console.print(f"  {m(ch['op'])}: count {m(ch['old'])} -> {m(ch['new'])}")
    if doc["targets"]:
        table = Table(title="op support per target (predicted unless a run is named)")
        for col in ("target", "new", "old", "change"):
            table.add_column(col)
        for t in doc["targets"]:
            style = _SEVERITY_STYLE.get(t["change"], "")
            change = m(t["change"])
            table.add_row(m(t["target"]), *(m(c) for c in target_cells(t)), f"[{style}]{change}[/]" if style else change)
        console.print(table)
    _render_numerics(doc.get("numerics"), console)
    if doc["latency"]:
        table = Table(title="latency (ms, per-round medians: min / median / max)")
        for col in ("target", "timing", "new", "old", "ratio", "verdict"):
            table.add_column(col)
        notes: list[str] = []
        threshold, noise = float(doc.get("threshold") or 0.1), False
        for row in doc["latency"]:
            fmt = "{min_ms:.3f} / {median_ms:.3f} / {max_ms:.3f}"
            new, old = fmt.format(**row["new"]), fmt.format(**row["old"])
            timing = row.get("timing") or UNKNOWN
            estimate = row.get("estimate")
            if estimate:  # an MCU target: the estimate is the headline, the host-run rounds under the table
                notes.append(f"{m(row['target'])}: {timing} TFLM rounds new {new}, old {old} ms (relative only)")
                new, old, timing = f"{estimate['new_ms']:.4g}", f"{estimate['old_ms']:.4g}", "estimated"
            verdict = m(row["verdict"])
            if row["verdict"] == "same" and not 1 / (1 + threshold) <= row["ratio"] <= 1 + threshold:
                verdict += "*"  # beyond the threshold, yet not a verdict: say why, or it reads as a contradiction
                noise = True
            table.add_row(m(row["target"]), m(timing), new, old, f"x{row['ratio']:.2f}", verdict)
        console.print(table)
        if noise:
            console.print(f"*: beyond the {threshold:.0%} threshold but not a verdict: the rounds' ranges overlap "
                          f"or the medians differ by less than {MIN_LATENCY_DIFF_MS} ms (timing noise)", style="dim")
        for note in notes:
            console.print(note, style="dim")
    for f in doc["findings"]:
        style = _SEVERITY_STYLE.get(f["severity"], "")
        console.print(f"[{style}]{m(f['severity'])}[/] {m(f['message'])}", highlight=False)
    quant = doc.get("quantization") or {}
    if quant.get("active"):
        console.print(f"quantization-aware comparison: {m(quant['reason'])} (--exact to hold outputs to atol/rtol)")
    style = "bold red" if doc["verdict"] == "regression" else "bold green"
    console.print(f"verdict: [{style}]{m(doc['verdict'])}[/]")


def _summary_line(doc: dict) -> str:
    """The verdict first, with the findings counted by severity (the full list and the verdict end the output)."""
    from collections import Counter

    counts = Counter(f["severity"] for f in doc["findings"])
    order = [*_SEVERITY_STYLE, *sorted(set(counts) - set(_SEVERITY_STYLE))]  # regressions first
    found = ", ".join(f"{counts[s]} {s}" for s in order if counts[s]) or "no findings"
    old = (doc.get("old") or {}).get("path") or "the old converter's output"
    style = "bold red" if doc["verdict"] == "regression" else "bold green"
    return (f"{m(_name(doc['new']['path']))} vs {m(_name(old))}: [{style}]{m(doc['verdict'])}[/] ({m(found)})")


def _name(path: str) -> str:
    from pathlib import Path

    return Path(path).name


def _render_numerics(num: dict | None, console: Any) -> None:
    if not num:
        return
    for against in ("old", "reference"):
        worst = num.get(f"max_abs_vs_{against}")
        if worst is not None:
            console.print(f"numerics vs {against} (host-run: LiteRT on this host): max abs {worst:.3g}, max rel {num[f'max_rel_vs_{against}']:.3g} "
                          f"(seed {num['seed']}, atol {num['atol']:g}, rtol {num['rtol']:g})")
