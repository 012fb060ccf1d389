"""`edgetk targets show NAME` as text that fits a CI log: one `key.sub: value` line per set field, wrapped.

Nested parts are flattened (``runtime.version: "2.14.0"``, ``delegates[0].name: "xnnpack"``) instead of one
JSON object per line, which ran to 140+ columns. Values stay JSON (``json.dumps``): a string keeps its quotes
and every control character is escaped, so a descriptor's text is shown, never obeyed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from toolkit.report.check_text import wrap_text
from toolkit.text import inert


def _flat(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for sub, v in value.items():
            yield from _flat(f"{key}.{sub}", v)
    elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            yield from _flat(f"{key}[{i}]", v)
    elif value not in (None, [], {}, ""):
        yield key, value


def target_lines(name: str, title: str, source: str, doc: dict[str, Any], width: int) -> list[str]:
    """The heading (name, title, descriptor file), then every field that is set, each wrapped at ``width``."""
    lines = wrap_text(f"# {name} — {title}", width, indent="#   ", first="")
    source = inert(source)  # a path stays whole (copyable): on its own line when it does not fit beside "from"
    lines += [f"# from {source}"] if len(source) + 7 <= width else ["# from", f"#   {source}"]
    for key, value in doc.items():
        for flat, v in _flat(key, value):
            lines += wrap_text(f"{flat}: {json.dumps(v)}", width, indent="    ", first="")
    return lines
