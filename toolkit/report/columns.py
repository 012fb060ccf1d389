"""Aligned columns that degrade to plain lines when the terminal (or a CI log) is narrow — never cut cells.

Box-drawn rich tables squeeze every column at 80 columns until cells read "2026-1…" or wrap a shape over
three lines. Here a table is a list of rows of strings: when it fits, it prints aligned; when it does not,
the last ("long") column moves to an indented line under each row it does not fit on; when even the rest
does not fit, every row becomes one "header: value; header: value" line, wrapped. Every character of every cell is printed.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from toolkit.text import inert

GAP = "  "


def _aligned(cells: Sequence[str], widths: Sequence[int], right: Collection[int]) -> str:
    parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
    return GAP.join(parts).rstrip()


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int, *,
                right: Collection[int] = (), indent: str = "") -> list[str]:
    """The rows under their headers, aligned if they fit in ``width``, else degraded (see module doc)."""
    if not rows:
        return []
    rows = [[inert(str(c)) for c in row] for row in rows]  # cells hold names from models, devices, files
    widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) for i in range(len(headers))]
    avail = width - len(indent)
    if sum(widths) + len(GAP) * (len(widths) - 1) <= avail:
        return [indent + _aligned(headers, widths, right)] + [indent + _aligned(r, widths, right) for r in rows]
    head, last = widths[:-1], len(widths) - 1
    if len(widths) > 1 and sum(head) + len(GAP) * (len(head) - 1) <= avail:
        # the long last column stays on its row where it fits, else goes to an indented line under it
        lines = []
        for r in [headers, *rows]:
            row = _aligned(r[:-1], head, right).ljust(sum(head) + len(GAP) * (len(head) - 1))
            if len(row) + len(GAP) + len(r[last]) <= avail or not r[last]:
                lines.append(indent + (row + GAP + r[last]).rstrip())
                continue
            lines.append(indent + row.rstrip())
            lines += textwrap.wrap(r[last], avail, initial_indent=indent + "    ",
                                   subsequent_indent=indent + "    ", break_on_hyphens=False)
        return lines
    lines = []
    for r in rows:
        text = "; ".join(f"{h}: {c}" for h, c in zip(headers, r, strict=True) if c)
        lines += textwrap.wrap(text, avail, initial_indent=indent, subsequent_indent=indent + "    ",
                               break_on_hyphens=False)
    return lines


def terminal_width() -> int:
    """COLUMNS, else the terminal's width, else 80 (a CI log or a pipe)."""
    return max(shutil.get_terminal_size((80, 24)).columns, 40)


def print_text(lines: Iterable[str], *, styles: Mapping[str, str] | None = None, console: Any = None) -> None:
    """Print pre-wrapped lines as they are: no rich re-wrapping, no markup, no control character (every one
    is shown escaped, toolkit.text.inert: lines carry tensor, op, device and file names); ``styles`` colours
    words on a terminal only (rich drops colour in a pipe)."""
    from rich.console import Console
    from rich.text import Text

    console = console or Console(highlight=False, soft_wrap=True)
    for line in lines:
        text = Text(inert(line))
        for word, style in (styles or {}).items():
            text.highlight_words([word], style=style)
        console.print(text)
