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
            except (json.JSONDecodeError, RecursionError):  # garbled, or nested deeper than Python recurses
                return None
            return doc if isinstance(doc, dict) else None
    return None


def runner_doc_problem(doc: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a runner document (None: the fields edgetk reads have their types).
    Runner output comes from a device: it is checked like any other untrusted input. A batch document's
    ``models`` are checked entry by entry, the same way."""
    models = doc.get("models")
    if models is not None:
        if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
            return "'models' is not a list of objects"
        if not all(isinstance(m.get("name"), str) for m in models):
            return "a batch model has no name"
        bad = next((p for p in map(_one_doc_problem, models) if p), None)
        if bad:
            return f"batch model: {bad}"
    return _one_doc_problem(doc)


def _one_doc_problem(doc: dict[str, Any]) -> str | None:
    error = doc.get("error")
    if error and not isinstance(error, dict):
        return f"'error' is {type(error).__name__}, not an object"
    if isinstance(error, dict) and not all(isinstance(error.get(k, ""), str | None) for k in ("kind", "op")):
        return "'error.kind' / 'error.op' are not strings"
    for key in ("latency_ms", "cpu_ms", "runtime", "device", "arena"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            return f"'{key}' is {type(doc[key]).__name__}, not an object"
    for block in ("latency_ms", "cpu_ms"):
        timing = doc.get(block) or {}
        bad = [k for k, v in timing.items()
               if k not in ("samples", "round_p50") and v is not None and not isinstance(v, int | float)]
        if bad:
            return f"{block}.{bad[0]} is not a number"
        rounds = timing.get("round_p50")
        if rounds is not None and not (isinstance(rounds, list) and all(_is_number(v) for v in rounds)):
            return f"{block}.round_p50 is not a list of numbers"
    for key in ("init_ms", "first_inference_ms", "warmup_mean_ms", "peak_rss_bytes"):
        value = doc.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"'{key}' is not a number"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
