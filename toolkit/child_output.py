"""Reading what a child process printed: every edgetk child (runner, converter worker, probes) ends its
stdout with one JSON object, possibly after lines a runtime or a device's shell printed first."""

from __future__ import annotations

import json
from typing import Any


def last_json_object(stdout: str) -> dict[str, Any] | None:
    """The last stdout line that is a JSON object, or None when there is none (empty or garbled output)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                return None
            return doc if isinstance(doc, dict) else None
    return None
