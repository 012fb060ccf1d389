"""The measured per-op profile in the terminal (`bench --per-op`): summary line, then the top ops.

80 columns: op index, op name (cut to fit), median ms, share of the sum; the provenance in the title.
"""

from __future__ import annotations

from typing import Any

from toolkit.bench.per_op import top_ops
from toolkit.provenance import SHORT_NOTES
from toolkit.report.markup import markup_safe as m


def per_op_lines(per_op: dict[str, Any]) -> list[str]:
    """The summary: what was timed, the sum against the whole model, what was not timed and why."""
    timing = per_op.get("timing", "measured")
    counts = per_op.get("counts") or {}
    whole = per_op.get("whole_ms")
    ratio = per_op.get("ratio")
    head = (f"per-op ({per_op.get('source')}, {timing}): {counts.get('timed', 0)} ops timed, "
            f"{counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed")
    total = f"  sum {per_op.get('sum_ms', 0):.3f} ms"
    if whole is not None and ratio is not None:
        total += f" vs whole model {whole:.3f} ms: ratio {ratio:.2f}"
    lines = [head, total]
    if per_op.get("ratio_spread"):
        lines.append(f"  ratio by round {_spread(per_op['ratio_spread'])} (whole model interleaved with the ops)")
    if per_op.get("cpu_ratio") is not None:
        line = f"  on CPU time: sum {per_op['cpu_sum_ms']:.3f} vs {per_op['cpu_whole_ms']:.3f} ms: ratio {per_op['cpu_ratio']:.2f}"
        spread = per_op.get("cpu_ratio_spread")
        lines.append(line + (f" ({_spread(spread)})" if spread else ""))
    lines += [f"  {part}" for part in str(per_op.get("note")).split("; ")]
    for what in ("skipped", "failed"):
        entries = per_op.get(what) or []
        if entries:
            reasons: dict[str, list[str]] = {}
            for e in entries:
                reasons.setdefault(e["reason"], []).append(f"{e['op']}#{e['index']}")
            for reason, ops in reasons.items():
                shown = ", ".join(ops[:4]) + (f" +{len(ops) - 4}" if len(ops) > 4 else "")
                lines.append(f"  {what} {len(ops)}: {shown}: {reason}")
    return lines


def body_lines(per_op: dict[str, Any], top: int = 3) -> list[str]:
    """The ops of WHILE / IF bodies, by subgraph: what each body costs per invoke and its slowest ops."""
    bodies = per_op.get("bodies") or []
    if not bodies:
        return []
    floor = per_op.get("invoke_floor_ms")
    lines = ["ops inside control flow, timed alone"
             + (f" (above the invoke floor of {floor:.4f} ms):" if floor is not None else ":")]
    for body in bodies:
        runs = body.get("runs_per_invoke")
        count = f"× {runs} per invoke" if runs is not None else f"runs per invoke not static: {body['how']}"
        counts = body.get("counts") or {}
        lines.append(f"  {body['parent_op']}#{body['parent_index']} {body['role']} (subgraph {body['subgraph']}): "
                     f"{counts.get('timed', 0)} timed, {counts.get('skipped', 0) + counts.get('failed', 0)} not")
        per_invoke = body.get("per_invoke_ms")
        parent = body.get("parent_ms")
        lines.append(f"    net {body['net_sum_ms']:.4f} ms {count}"[:78]
                     if per_invoke is None else
                     f"    net {body['net_sum_ms']:.4f} ms {count} = {per_invoke:.4f} ms"
                     + (f" (the {body['parent_op']} slice {parent:.4f})" if parent is not None else ""))
        for op in sorted(body.get("ops") or [], key=lambda o: -o["ms"])[:top]:
            lines.append(f"    op {op['index']} {op['op'][:28]}: {op['ms']:.4f} ms, net {op['net_ms']:.4f}")
        for e in (body.get("skipped") or []) + (body.get("failed") or []):
            lines.append(f"    op {e['index']} {e['op'][:20]} not timed: {e['reason']}"[:80])
    return lines


def _spread(spread: dict[str, Any]) -> str:
    return f"{spread['min']:.2f}-{spread['max']:.2f} over {spread['rounds']}"


def render_per_op(console: Any, per_op: dict[str, Any]) -> None:
    from rich.table import Table

    timing = per_op.get("timing", "measured")
    for i, line in enumerate(per_op_lines(per_op)):
        console.print(f"[bold]{m(line)}[/]" if i == 0 else m(line), overflow="fold")
    top = top_ops(per_op)
    if not top:
        return
    table = Table(title=f"top {len(top)} ops by median time, ms ({SHORT_NOTES.get(timing, timing)})",
                  title_justify="left")
    for key, justify in (("#", "right"), ("op", "left"), ("p50 ms", "right"), ("share", "right")):
        table.add_column(key, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for op in top:
        share = f"{op['share']:.0%}" if op.get("share") is not None else "-"
        table.add_row(m(op["index"]), m(op["op"][:40]), f"{op['ms']:.3f}", share)
    console.print(table)
    for line in body_lines(per_op):
        console.print(line, overflow="fold")
