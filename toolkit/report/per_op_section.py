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
            for body in per_op.get("bodies") or []:
                section.tables.append(_body_table(body, timing, f"{label}: {body['parent_op']}#{body['parent_index']} "
                                                                f"{body['role']} (subgraph {body['subgraph']})"))
    return section if section.svgs else None


def _body_table(body: dict, timing: str, caption: str) -> Table:
    """A WHILE / IF body's ops timed alone: ms, above the invoke floor, and per invoke when that is static."""
    runs = body.get("runs_per_invoke")
    rows = [[str(op["index"]), op["op"], f"{op['ms']:.4f}", f"{op['net_ms']:.4f}",
             "-" if op.get("per_invoke_ms") is None else f"{op['per_invoke_ms']:.4f}"]
            for op in sorted(body.get("ops") or [], key=lambda o: -o["ms"])]
    rows += [[str(e["index"]), e["op"], "-", "-", f"not timed: {e['reason']}"]
             for e in (body.get("skipped") or []) + (body.get("failed") or [])]
    runs_text = f"× {runs} per invoke ({body['how']})" if runs is not None else f"runs per invoke not static: {body['how']}"
    return Table(["#", "op", f"p50 ms ({timing})", "above invoke floor", "per invoke ms"], rows,
                 caption=f"{caption}: {runs_text}")
