"""`edgetk report RESULTS.json... --html report.html`: one self-contained HTML page.

Inputs are the JSON documents of check / bench / compare / convert (read and validated by report/inputs.py).
The page embeds its CSS and its plots (inline SVG), links nothing and loads nothing, so it can be
attached to a CI run or mailed and still open offline.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from toolkit import __version__
from toolkit.report.sections import (
    Section,
    Table,
    compare_section,
    convert_section,
    cost_section,
    latency_sections,
    support_section,
)
from toolkit.report.summary import SUMMARY_HEADERS, page_warnings, summary_rows

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px} h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px} caption{text-align:left;font-weight:600;padding:4px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top} th{background:#f3f3f3}
.plot svg{max-width:100%;height:auto} .scroll{overflow-x:auto} .note{font-weight:600}
.regression{color:#b00020} .pass{color:#1b7f2a} .meta{color:#666;font-size:12px}
tr.fail td{background:#fdecee} tr.ok td{background:#eef8f0}
.verdict{font-size:18px;font-weight:700} .warnings{background:#fff6db;border:1px solid #e6c200;padding:6px 12px}
.details{margin-top:40px;color:#444;border-top:3px solid #ddd}
"""


def build_sections(docs: list[dict]) -> list[Section]:
    """The details, after the summary: comparisons first (their verdict and reasons on top), then latency
    (measured apart from relative-only figures), the MCU estimates, op support, per-op cost, conversions."""
    from toolkit.report.mcu_section import mcu_section
    from toolkit.report.per_op_section import per_op_section

    sections: list[Section | None] = [compare_section(d) for d in docs if d["schema"].startswith("edgetk.compare")]
    sections += latency_sections(docs)
    sections += [mcu_section(docs), support_section(docs), cost_section(docs), per_op_section(docs),
                 convert_section(docs)]
    return [s for s in sections if s is not None]


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    classes = table.row_classes + [""] * (len(table.rows) - len(table.row_classes))
    body = "".join((f'<tr class="{html.escape(cls)}">' if cls else "<tr>")
                   + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row, cls in zip(table.rows, classes, strict=True))
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section_html(section: Section) -> str:
    parts = [f"<section><h2>{html.escape(section.title)}</h2>"]
    for note in section.notes:
        cls = "regression" if "regression" in note else "pass" if "pass" in note else ""
        parts.append(f'<p class="note {cls}">{html.escape(note)}</p>')
    parts += [f'<div class="plot">{svg}</div>' for svg in section.svgs]
    parts += [f'<div class="scroll">{_table_html(t)}</div>' for t in section.tables]
    parts.append("</section>")
    return "\n".join(parts)


def _doc_verdict(doc: dict) -> str:
    return doc.get("verdict") or ("all targets run" if doc.get("all_run") else
                                  "some target cannot run" if "all_run" in doc else "")


def _inputs(docs: list[dict]) -> str:
    rows = [[doc["_file"], doc["schema"] + _unrecorded(doc), _doc_verdict(doc)] for doc in docs]
    return _table_html(Table(["results file", "schema", "verdict"], rows, caption="inputs"))


def _unrecorded(doc: dict) -> str:
    """" (written by an older edgetk: timing, headline not recorded)" for a document report filled in."""
    fields = doc.get("_unrecorded")
    return f" (written by an older edgetk: {', '.join(fields)} not recorded)" if fields else ""


def _summary_html(docs: list[dict]) -> str:
    """Summary first: comparison verdicts with their reasons, warnings, then one row per model x target."""
    parts = ['<section id="summary"><h2>Summary</h2>']
    for doc in (d for d in docs if d["schema"].startswith("edgetk.compare")):
        cls = "regression" if doc["verdict"] == "regression" else "pass"
        mode = " (quantization-aware)" if (doc.get("quantization") or {}).get("active") else ""
        parts.append(f'<p class="verdict {cls}">compare {html.escape(Path(doc["new"]["path"]).name)} vs '
                     f'{html.escape(Path((doc.get("old") or {}).get("path") or "old converter").name)}{mode}: '
                     f'{html.escape(doc["verdict"])}</p>')
        reasons = [f for f in doc["findings"] if f["severity"] in ("regression", "improvement")]
        if reasons:
            parts.append("<ul>" + "".join(f'<li class="{"regression" if f["severity"] == "regression" else "pass"}">'
                                          f'{html.escape(f["severity"])}: {html.escape(f["message"])}</li>'
                                          for f in reasons) + "</ul>")
    warnings = page_warnings(docs)
    if warnings:
        parts.append('<div class="warnings"><b>warnings</b><ul>'
                     + "".join(f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul></div>")
    rows = summary_rows(docs)
    if rows:
        parts.append(_table_html(Table(SUMMARY_HEADERS, [r.cells() for r in rows], caption="per target",
                                       row_classes=["fail" if r.failing else "ok" for r in rows])))
        parts.append('<p class="meta">latency provenance: measured = on the device; estimated = the MCU cycle '
                     "model; emulated (qemu-user), host-run (the target's runtime on this host) and software-gpu "
                     "figures are for relative comparisons only.</p>")
    parts.append(_inputs(docs))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(docs: list[dict], title: str = "edgetk report") -> str:
    """The whole page as one string: summary first, then the details."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(_section_html(s) for s in build_sections(docs))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=\"meta\">edgetk {__version__}, {stamp}</p>"
        f"{_summary_html(docs)}\n<div class=\"details\"><h2>Details</h2>\n{body}\n</div>\n</body></html>\n"
    )


def describe(doc: dict) -> str:
    """A name for a document that was never a file (``compare --html`` passes its own document)."""
    if doc["schema"].startswith("edgetk.compare"):
        old = Path((doc.get("old") or {}).get("path") or "old converter").name
        return f"compare {Path(doc['new']['path']).name} vs {old}"
    model = doc.get("model")
    path = model.get("path") if isinstance(model, dict) else doc.get("output")
    return f"{doc['schema'].split('/')[0].removeprefix('edgetk.')} {Path(path or '?').name}"


def write_html_report(path: str | Path, docs: list[dict], title: str = "edgetk report") -> Path:
    """Write the report for already-loaded documents (``compare --html`` passes its own document)."""
    for i, doc in enumerate(docs):
        doc.setdefault("_file", describe(doc) if "schema" in doc else f"document-{i + 1}")
    from toolkit.fileio import write_text

    return write_text(path, render_html(docs, title))


def write_trend_html(path: str | Path, trend: dict, title: str | None = None) -> Path:
    """`results trend --html`: the p50-over-time plot (one marker per provenance) and the table behind it."""
    from toolkit.report.plots import trend_plot

    title = title or f"{trend['model']} on {trend['target']}: p50 over time"
    points = [p for p in trend["points"] if p["p50_ms"] is not None]
    section = Section(title, notes=["estimated = the MCU cycle model; emulated / host-run figures are for relative "
                                    "comparisons only"])
    if points:
        section.svgs.append(trend_plot([(p["created_at"], p["p50_ms"], p["timing"]) for p in points],
                                       f"p50 over time ({', '.join(sorted({p['timing'] for p in points}))})"))
    if trend.get("regression"):
        section.notes.insert(0, f"regression: {trend['regression']['message']}")
    rows = [[str(p["id"]), p["created_at"], p["model_sha256"][:12], p["runtime"], f"{p['p50_ms']:.4g}"
             if p["p50_ms"] is not None else "-", p["timing"], p["change"]["verdict"] if p["change"] else "-"]
            for p in trend["points"]]
    section.tables.append(Table(["id", "stored", "model sha256", "runtime", "p50 ms", "timing", "vs previous"], rows))
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">edgetk {__version__}</p>{_section_html(section)}"
            "</body></html>\n")
    from toolkit.fileio import write_text

    return write_text(path, page)
