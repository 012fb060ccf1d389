"""`check --verify` as text: which runtime was tried for each target and what it did, then the loud lines for
every static prediction a runtime contradicted in the same run. Works on a ``CheckReport`` or its dict."""

from __future__ import annotations

from typing import Any

from toolkit.report.check_text import _get, _wrap, terminal_width


def verify_lines(report: Any, width: int | None = None) -> list[str]:
    """Empty unless some result was verified; else one block per target, then PREDICTION WRONG lines."""
    results = [r for r in _get(report, "results", []) or [] if _get(r, "outcomes") or _get(r, "runtime_outcomes")]
    if not results:
        return []
    width = width or terminal_width()
    lines = ["", "runtimes tried here (--verify; the first that could run decides the verdict):"]
    for r in results:
        arena = _get(r, "arena_measured_bytes")
        head = f"{_get(r, 'target')}: {_get(r, 'verdict')}, predicted {_get(r, 'predicted_verdict')}"
        lines += _wrap(head + (f"; TFLM arena measured {arena:,} B" if arena else ""), width, indent="    ",
                       first="  ")
        for o in _get(r, "outcomes") or _get(r, "runtime_outcomes") or []:
            why = _get(o, "message") if _get(o, "outcome") != "runs" else None
            text = f"{_get(o, 'outcome')}  {_get(o, 'label')} ({_get(o, 'provenance')})" + (f": {why}" if why else "")
            lines += _wrap(text, width, indent="        ", first="    ")
    wrong = prediction_wrong_lines(report)
    if wrong:
        lines.append("")
        for line in wrong:
            lines += _wrap(line, width, indent="    ", first="")
    return lines


def prediction_wrong_lines(report: Any) -> list[str]:
    """One line per target whose static verdict a runtime tried in the same run contradicted."""
    lines = []
    for r in _get(report, "results", []) or []:
        if not _get(r, "prediction_wrong"):
            continue
        outcomes = _get(r, "outcomes") or _get(r, "runtime_outcomes") or []
        primary = next((o for o in outcomes if _get(o, "outcome") != "not-tried"), None)
        label = _get(primary, "label") if primary is not None else "the runtime"
        why = f": {_get(primary, 'message')}" if primary is not None and _get(primary, "message") else ""
        lines.append(f"PREDICTION WRONG for {_get(r, 'target')}: check predicted '{_get(r, 'predicted_verdict')}' "
                     f"from {_get(r, 'op_table')}, {label} says '{_get(r, 'verdict')}'{why}")
    for r in _get(report, "results", []) or []:
        for d in _get(r, "delegates", None) or []:
            p = _get(d, "predicted", None)
            if p is not None and _get(d, "prediction_wrong", False):
                lines.append(f"PREDICTION WRONG for {_get(r, 'target')} {_get(d, 'name')} delegate: the op table "
                             f"predicted {_get(p, 'coverage')} {_get(p, 'ops_on_cpu')}, the accelerator did "
                             f"{_get(d, 'coverage')} {_get(d, 'ops_on_cpu')}")
    return lines
