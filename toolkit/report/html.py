"""`edgetk report RESULTS.json... --html report.html`: one self-contained HTML page.

Inputs are the JSON documents of check / bench / compare / convert, told apart by their "schema" field.
The page embeds its CSS and its plots (inline SVG), links nothing and loads nothing, so it can be
attached to a CI run or mailed and still open offline.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

from toolkit import __version__
from toolkit.errors import BadInputError
from toolkit.report.sections import (
    Section,
    Table,
    compare_section,
    convert_section,
    cost_section,
    latency_section,
    support_section,
)

KNOWN_SCHEMAS = ("edgetk.check/", "edgetk.bench/", "edgetk.compare/", "edgetk.convert/")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px} h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px} caption{text-align:left;font-weight:600;padding:4px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left} th{background:#f3f3f3}
.plot svg{max-width:100%;height:auto} .scroll{overflow-x:auto} .note{font-weight:600}
.regression{color:#b00020} .pass{color:#1b7f2a} .meta{color:#666;font-size:12px}
"""


def load_results(paths: list[str | Path]) -> list[dict]:
    """Read results files; each must be an edgetk JSON document with a known "schema"."""
    docs = []
    for path in map(Path, paths):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise BadInputError(f"{path}: not a readable JSON results file ({exc})") from exc
        schema = doc.get("schema") if isinstance(doc, dict) else None
        if not isinstance(schema, str) or not schema.startswith(KNOWN_SCHEMAS):
            raise BadInputError(f"{path}: unknown results schema {schema!r} (expected one of {', '.join(KNOWN_SCHEMAS)})")
        doc["_file"] = str(path)
        docs.append(doc)
    return docs


def build_sections(docs: list[dict]) -> list[Section]:
    from toolkit.report.mcu_section import mcu_section

    sections: list[Section | None] = [latency_section(docs), mcu_section(docs), support_section(docs),
                                      cost_section(docs)]  # fmt: skip
    sections += [compare_section(d) for d in docs if d["schema"].startswith("edgetk.compare")]
    sections.append(convert_section(docs))
    return [s for s in sections if s is not None]


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in table.rows)
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


def _summary(docs: list[dict]) -> str:
    rows = []
    for doc in docs:
        verdict = doc.get("verdict") or ("all targets run" if doc.get("all_run") else
                                         "some target cannot run" if "all_run" in doc else "")
        rows.append([Path(doc["_file"]).name, doc["schema"], verdict])
    return _table_html(Table(["results file", "schema", "verdict"], rows, caption="inputs"))


def render_html(docs: list[dict], title: str = "edgetk report") -> str:
    """The whole page as one string."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(_section_html(s) for s in build_sections(docs))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=\"meta\">edgetk {__version__}, {stamp}</p>"
        f"{_summary(docs)}\n{body}\n</body></html>\n"
    )


def write_html_report(path: str | Path, docs: list[dict], title: str = "edgetk report") -> Path:
    """Write the report for already-loaded documents (``compare --html`` passes its own document)."""
    for i, doc in enumerate(docs):
        doc.setdefault("_file", f"document-{i + 1}")
    from toolkit.fileio import write_text

    return write_text(path, render_html(docs, title))
