"""Untrusted text made inert: device output, runtime messages, descriptor and inventory values and file names
reach terminals, CI logs and XML. A terminal must never receive an escape sequence it would obey (an OSC
title, a clear-screen), an XML document never a character XML 1.0 forbids.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, the bidirectional overrides that reorder what a reader sees, and surrogates (the
# bytes of a file name that is not UTF-8: printed as they are, 0x9b is a terminal's 8-bit CSI)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# for XML: the same minus tab, newline and carriage return (kept), plus what XML 1.0 forbids outright
_UNSAFE_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if "\udc80" <= ch <= "\udcff":  # a byte of a non-UTF-8 name, held as a surrogate (surrogateescape)
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100
                                                              else f"\\u{ord(ch):04x}")


def inert(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\n``): safe for one terminal
    line. Printable text, including non-ASCII letters, is unchanged."""
    return _UNSAFE.sub(_escape, text)


def inert_lines(text: str) -> str:
    """``text`` of several lines (a converter's error trace) with its line breaks kept and every other control
    character escaped."""
    return "\n".join(inert(line) for line in text.split("\n"))


def xml_safe(text: str) -> str:
    """``text`` for an XML attribute or element: characters XML 1.0 forbids become escapes, and terminal
    escapes too (JUnit viewers print messages to consoles). Tabs and newlines stay."""
    return _UNSAFE_XML.sub(_escape, text)

