"""Untrusted text for rich markup: inert (toolkit.text) and with its markup escaped; rendering's own helper,
so rich stays inside toolkit/report/."""

from __future__ import annotations

from toolkit.text import inert


def markup_safe(text: object) -> str:
    """``text`` for a rich markup string or table cell: inert, and its ``[`` escaped so a name such as
    ``[link=…]`` or ``[/]`` is shown, not interpreted."""
    from rich.markup import escape

    return escape(inert(str(text)))
