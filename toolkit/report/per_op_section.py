"""HTML: measured per-op times (`bench --per-op`) as bars beside the estimated split of the same latency."""

from __future__ import annotations

from toolkit.bench.per_op import top_ops
from toolkit.report import plots
from toolkit.report.sections import Section, Table, _name


def per_op_section(docs: list[dict]) -> Section | None:
    """One chart and table per bench result that carries a per-op profile: its top ops by median time, each
    with the estimated share of the whole-model p50 (static cost) beside it, and the sum-vs-whole ratio."""
    section = Section("Per-op time (bench --per-op), beside the estimated cost split")
    for doc in docs:
        if not str(doc.get("schema", "")).startswith("edgetk.bench"):
            continue
        for rec in doc.get("results") if isinstance(doc.get("results"), list) else [doc]:
            per_op = rec.get("per_op") if isinstance(rec, dict) else None
            if not per_op or not per_op.get("ops"):
                continue
            estimated = {op["index"]: op["ms"] for op in (rec.get("per_op_estimate") or {}).get("ops") or []}
            top = top_ops(per_op, 12)
            timing = per_op.get("timing", "measured")
            label = f"{_name((rec.get('model') or {}).get('path'))} on {rec.get('target')}"
            rows = [(f"{op['op']} #{op['index']}", op["ms"], estimated.get(op["index"])) for op in top]
            section.svgs.append(plots.per_op_bars(rows, timing, f"{label}: per-op p50 ({timing}) vs estimated"))
            ratio = per_op.get("ratio")
            section.notes.append(f"{label}: {per_op.get('counts', {}).get('timed', 0)} ops timed ({timing}), "
                                 f"sum {per_op['sum_ms']:.3f} ms"
                                 + (f", {ratio:.2f}x the whole-model p50" if ratio is not None else "")
                                 + (f" (rounds {per_op['ratio_spread']['min']:.2f}-{per_op['ratio_spread']['max']:.2f})"
                                    if per_op.get("ratio_spread") else "")
                                 + (f", {per_op['cpu_ratio']:.2f}x on CPU time" if per_op.get("cpu_ratio") else "")
                                 + f". {per_op.get('note', '')}")
            section.tables.append(Table(
                ["#", "op", f"p50 ms ({timing})", "share", "estimated ms"],
                [[str(op["index"]), op["op"], f"{op['ms']:.3f}",
                  f"{op['share']:.0%}" if op.get("share") is not None else "-",
                  f"{estimated[op['index']]:.3f}" if op["index"] in estimated else "-"] for op in top],
                caption=label))
    return section if section.svgs else None
