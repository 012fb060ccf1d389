"""`edgetk results list|trend` as text: one line per stored result, the p50-over-time sparkline.

Every figure is shown with its provenance (`timing`); emulated / host-run / software-gpu figures carry the
note that they are for relative comparisons only.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from toolkit.report.markup import markup_safe as m

SPARK = "▁▂▃▄▅▆▇█"


def _ms(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "-"


def sparkline(values: list[float | None]) -> str:
    """One block character per value, scaled between the smallest and the largest ("·" for no figure)."""
    numbers = [v for v in values if v is not None]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    return "".join("·" if v is None else SPARK[min(int((v - low) / span * (len(SPARK) - 1) + 0.5), len(SPARK) - 1)]
                   for v in values)


def print_results_list(rows: list[dict[str, Any]]) -> None:
    """The `results list` table (ResultRecord.summary() rows)."""
    from toolkit.report.columns import print_text, table_lines, terminal_width

    # the model name goes last: it is the long column that moves under its row when the terminal is narrow
    cells = [[str(row["id"]), row["created_at"][:16].replace("T", " "), row["target"], _ms(row["p50_ms"]),
              row["timing"] or "?", row["runtime"].split(" ")[0], row["model"]] for row in rows]
    headers = ["id", "stored (UTC)", "target", "p50 ms", "timing", "runtime", "model"]
    lines = table_lines(headers, cells, terminal_width(), right={0, 3}) or ["no stored results"]
    if any(r["timing"] not in ("measured", "estimated") for r in rows):
        lines.append("emulated / host-run / software-gpu figures: for relative comparisons only")
    print_text(lines)


def print_trend(doc: dict[str, Any]) -> None:
    """`results trend`: the sparkline, the last ten points with their change, the regression if any."""
    console = Console(highlight=False)
    points = doc["points"]
    values = [p["p50_ms"] for p in points]
    known = [v for v in values if v is not None]
    timings = sorted({p["timing"] for p in points})
    console.print(f"[bold]{m(doc['model'])}[/] on [bold]{m(doc['target'])}[/]: {len(points)} results, p50 ms "
                  f"({m(', '.join(timings))})")
    if known:
        console.print(f"  {sparkline(values)}  min {min(known):.3f}  last {_ms(values[-1])}  max {max(known):.3f}")
    for p in points[-10:]:
        change = p["change"]
        note = f"x{change['ratio']:.2f} {change['verdict']}" if change else "first of its setup"
        console.print(f"  #{p['id']:<5} {p['created_at'][:16].replace('T', ' ')}  {_ms(p['p50_ms']):>10}  "
                      f"{p['timing']:<9} {note}")
    if len(points) > 10:
        console.print(f"  [dim](the last 10 of {len(points)}; --json for all)[/]")
    regression = doc["regression"]
    if regression:
        console.print(f"[bold red]regression[/]: {m(regression['message'])}")
