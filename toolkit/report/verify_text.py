"""`check --verify` as text: which runtime was tried for each target and what it did, then the loud lines for
every static prediction a runtime contradicted in the same run. Works on a ``CheckReport`` or its dict."""

from __future__ import annotations

from typing import Any

from toolkit.report.check_text import field_of, terminal_width, wrap_text


def verify_lines(report: Any, width: int | None = None) -> list[str]:
    """Empty unless some result was verified; else one block per target, then PREDICTION WRONG lines."""
    results = [r for r in field_of(report, "results", []) or [] if field_of(r, "outcomes") or field_of(r, "runtime_outcomes")]
    if not results:
        return []
    width = width or terminal_width()
    lines = ["", "runtimes tried here (--verify; the first that could run decides the verdict):"]
    for r in results:
        arena = field_of(r, "arena_measured_bytes")
        predicted = field_of(r, "predicted_verdict")  # None: no runtime was tried, the verdict is the prediction
        head = f"{field_of(r, 'target')}: {field_of(r, 'verdict')}" + (
            f", predicted {predicted}" if predicted else " (predicted: no runtime was tried)")
        lines += wrap_text(head + (f"; TFLM arena {arena:,} B (host-run)" if arena else ""), width, indent="    ",
                       first="  ")
        for o in field_of(r, "outcomes") or field_of(r, "runtime_outcomes") or []:
            why = field_of(o, "message") if field_of(o, "outcome") != "runs" else None
            text = f"{field_of(o, 'outcome')}  {field_of(o, 'label')} ({field_of(o, 'provenance')})" + (f": {why}" if why else "")
            lines += wrap_text(text, width, indent="        ", first="    ")
    wrong = prediction_wrong_lines(report)
    if wrong:
        lines.append("")
        for line in wrong:
            lines += wrap_text(line, width, indent="    ", first="")
    return lines


def prediction_wrong_lines(report: Any) -> list[str]:
    """One line per target whose static verdict a runtime tried in the same run contradicted."""
    lines = []
    for r in field_of(report, "results", []) or []:
        if not field_of(r, "prediction_wrong"):
            continue
        outcomes = field_of(r, "outcomes") or field_of(r, "runtime_outcomes") or []
        primary = next((o for o in outcomes if field_of(o, "outcome") != "not-tried"), None)
        label = field_of(primary, "label") if primary is not None else "the runtime"
        why = f": {field_of(primary, 'message')}" if primary is not None and field_of(primary, "message") else ""
        lines.append(f"PREDICTION WRONG for {field_of(r, 'target')}: check predicted '{field_of(r, 'predicted_verdict')}' "
                     f"from {field_of(r, 'op_table')}, {label} says '{field_of(r, 'verdict')}'{why}")
    for r in field_of(report, "results", []) or []:
        for d in field_of(r, "delegates", None) or []:
            p = field_of(d, "predicted", None)
            if p is not None and field_of(d, "prediction_wrong", False):
                lines.append(f"PREDICTION WRONG for {field_of(r, 'target')} {field_of(d, 'name')} delegate: the op table "
                             f"predicted {field_of(p, 'coverage')} {field_of(p, 'ops_on_cpu')}, the accelerator did "
                             f"{field_of(d, 'coverage')} {field_of(d, 'ops_on_cpu')}")
    return lines
