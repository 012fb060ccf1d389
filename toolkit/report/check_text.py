"""`edgetk check` as text a person reads at 80 columns, in a terminal or a CI log: summary first, then
findings grouped by (rule, op type) with a count, the op indices and a fix hint.

A real model fails the same way many times (MediaPipe's face detector has 74 float16 DEQUANTIZE ops that no
MCU runtime takes): the group says it once, with every op index, on every target it applies to.
`verbose=True` lists every instance as well. The JUnit bodies (toolkit/report/junit.py) use the same groups.

Works on a ``CheckReport`` or its ``edgetk.check/1`` dict alike. Fields other parts add to a result are
shown when present: ``evidence`` ("static" | "verified", the basis of the verdict) next to the verdict, and
``delegates`` (per-delegate coverage) under the target's line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.report.columns import print_text, terminal_width
from toolkit.targets.fixes import fix_hint, rule_help
from toolkit.text import inert

SEVERITY_ORDER = {"error": 0, "fallback": 1, "warning": 2}
_VERDICT_ORDER = ("runs", "delegate-fallback", "does-not-run")
#: non-verbose caps, so a model with thousands of findings still prints a screenful
_MAX_MESSAGES = 3
_MAX_INDEX_LINES = 1


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a dataclass or of its JSON dict form alike."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


@dataclass
class FindingGroup:
    """Every finding of one rule on one op type, across the targets it occurs on."""

    rule: str
    severity: str
    op: str | None
    targets: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # distinct, in first-seen order
    locations: set[tuple[int, int]] = field(default_factory=set)  # (subgraph, op index)
    instances: list[tuple[str, Any]] = field(default_factory=list)  # (target, finding)

    @property
    def count(self) -> int:
        """Distinct ops for an op rule (one op is one op on every target and delegate); else findings on the
        target that has most of them."""
        if self.locations:
            return len(self.locations)
        per_target: dict[str, int] = {}
        for target, _ in self.instances:
            per_target[target] = per_target.get(target, 0) + 1
        return max(per_target.values(), default=0)

    @property
    def title(self) -> str:
        what = rule_help(self.rule).title
        return f"{self.op}: {what}" if self.op else what

    @property
    def fix(self) -> str:
        return fix_hint(self.rule, self.messages[0] if self.messages else "")

    def summary(self) -> str:
        """'DEQUANTIZE: dtype rejected (74 ops)' — the top reason of a target."""
        if not self.locations:
            return self.title if self.count == 1 else f"{self.title} ({self.count} findings)"
        if len(self.locations) == 1:  # the one op's index says more than "1 op"
            return f"{self.title} (op {op_ranges(self.locations)[0]})"
        return f"{self.title} ({self.count} ops)"


def group_findings(pairs: Iterable[tuple[str, Any]]) -> list[FindingGroup]:
    """Group (target, finding) pairs by (rule, op); most severe first, then the biggest groups."""
    groups: dict[tuple[str, str | None], FindingGroup] = {}
    for target, finding in pairs:
        rule, op = str(field_of(finding, "rule")), field_of(finding, "op")
        group = groups.get((rule, op))
        if group is None:
            group = groups[(rule, op)] = FindingGroup(rule, str(field_of(finding, "severity")), op)
        if target not in group.targets:
            group.targets.append(target)
        message = str(field_of(finding, "message", finding))
        if message not in group.messages:
            group.messages.append(message)
        if field_of(finding, "op_index") is not None:
            group.locations.add((int(field_of(finding, "subgraph") or 0), int(field_of(finding, "op_index"))))
        group.instances.append((target, finding))
    ordered = sorted(groups.values(), key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), -g.count, g.title))
    first_of_rule = {g.rule: n for n, g in reversed(list(enumerate(ordered)))}
    # groups of one rule stay together (after the rule's biggest group), so its fix is said once for all
    return sorted(ordered, key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), first_of_rule[g.rule]))


def result_groups(result: Any) -> list[FindingGroup]:
    target = str(field_of(result, "target"))
    return group_findings((target, f) for f in field_of(result, "findings", []) or [])


def op_ranges(locations: Iterable[tuple[int, int]]) -> list[str]:
    """[(0,1),(0,2),(0,3),(0,7),(1,4)] -> ['1-3', '7', 'sg1:4']: op indices, runs collapsed."""
    out: list[str] = []
    by_subgraph: dict[int, list[int]] = {}
    for sg, index in sorted(set(locations)):
        by_subgraph.setdefault(sg, []).append(index)
    for sg, indices in by_subgraph.items():
        prefix = f"sg{sg}:" if sg else ""
        start = prev = indices[0]
        for index in [*indices[1:], None]:
            if index is not None and index == prev + 1:
                prev = index
                continue
            out.append(f"{prefix}{start}" if start == prev else f"{prefix}{start}-{prev}")
            if index is not None:
                start = prev = index
    return out


def merge_messages(messages: Sequence[str], max_differences: int = 2, max_joined: int = 3) -> list[str]:
    """Messages that differ in at most two words become one. When one word differs among up to three
    variants they are joined by '/' ("The gpu/nnapi delegate does not take DENSIFY; …"); otherwise the words
    become '…' in the message and one line lists the variants ("…: cortex-m4's 655360; cortex-m7's 327680").
    Messages that differ more stay as they are."""
    if len(messages) < 2:
        return list(messages)
    split = [m.split(" ") for m in messages]
    if len({len(words) for words in split}) != 1:
        return list(messages)
    columns = list(zip(*split, strict=True))
    varying = [i for i, c in enumerate(columns) if len(set(c)) > 1]
    if len(varying) > max_differences:
        return list(messages)
    if len(varying) == 1 and len(set(columns[varying[0]])) <= max_joined:
        return [" ".join(c[0] if len(set(c)) == 1 else "/".join(dict.fromkeys(c)) for c in columns)]
    template: list[str] = []
    for i, column in enumerate(columns):
        if i not in varying:
            template.append(column[0])
            continue
        tail = column[0][-1] if all(w and w[-1] == column[0][-1] and w[-1] in ";,.:)" for w in column) else ""
        if template and template[-1] == "…":  # adjacent varying words share one placeholder
            template.pop()
        template.append("…" + tail)
    variants = "; ".join(" ".join(words[i].rstrip(";,.:)") for i in varying) for words in dict.fromkeys(
        tuple(w) for w in split))
    return [" ".join(template), f"…: {variants}"]


def wrap_text(text: str, width: int, indent: str = "  ", first: str | None = None) -> list[str]:
    """Wrap at spaces; a word longer than the line (a path) is split, nothing is ever cut off. Runtime and
    device text is made inert first (``toolkit.text``): an escape sequence is shown, never obeyed."""
    return textwrap.wrap(inert(text), width=max(width, 20), initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_on_hyphens=False) or [indent.rstrip()]


def _index_lines(group: FindingGroup, width: int, verbose: bool) -> list[str]:
    if len(group.locations) <= 1:  # none, or named in the group's title
        return []
    ranges = op_ranges(group.locations)
    lines = wrap_text(", ".join(ranges), width, indent="       ", first="  ops: ")
    if verbose or len(lines) <= _MAX_INDEX_LINES:
        return lines
    more = " … (--verbose lists all)"
    kept = wrap_text(", ".join(ranges), width - len(more), indent="       ", first="  ops: ")[:_MAX_INDEX_LINES]
    kept[-1] = kept[-1].rstrip(",") + more
    return kept


def render_group(group: FindingGroup, width: int = 80, *, verbose: bool = False, show_targets: bool = True,
                 show_fix: bool = True) -> list[str]:
    """One group: title with count (and targets), the distinct messages, the op indices, the fix."""
    head = f"{group.severity} {group.summary()}"
    lines = wrap_text(head + (f" on {', '.join(group.targets)}" if show_targets else ""), width, first="")
    messages = group.messages if verbose else merge_messages(group.messages)
    shown = messages if verbose else messages[:_MAX_MESSAGES]
    for message in shown:
        lines += wrap_text(message, width)
    if len(shown) < len(messages):
        lines.append(f"  (+{len(messages) - len(shown)} more like it; --verbose lists all)")
    lines += _index_lines(group, width, verbose)
    if show_fix:
        lines += wrap_text(f"fix: {group.fix}", width)
    if verbose:
        for target, finding in group.instances:
            where = f"op {field_of(finding, 'op_index')}" if field_of(finding, "op_index") is not None else "model"
            sg = field_of(finding, "subgraph")
            where += f" (subgraph {sg})" if sg else ""
            lines += wrap_text(f"{target} {where}: {field_of(finding, 'message', finding)}", width, indent="    ",
                           first="  - ")
    return lines


def verdict_label(result: Any) -> str:
    """The verdict with its basis when something other than the static prediction decided it."""
    verdict = str(field_of(result, "verdict"))
    evidence = field_of(result, "evidence")
    return f"{verdict} ({evidence})" if evidence and evidence != "static" else verdict


def _delegate_lines(result: Any, width: int) -> list[str]:
    lines = []
    for d in field_of(result, "delegates", None) or []:
        facts = [str(field_of(d, "coverage", "?"))]
        on_cpu = field_of(d, "ops_on_cpu")
        if on_cpu is not None:  # check --json carries the op type names; they are in the findings below
            facts.append(f"{len(on_cpu) if isinstance(on_cpu, list) else on_cpu} ops on CPU")
        partitions = field_of(d, "partitions")
        if partitions is not None:
            facts.append(f"{partitions} partition{'s' if partitions != 1 else ''}")
        if field_of(d, "evidence"):
            facts.append(str(field_of(d, "evidence")))
        lines += wrap_text(f"{field_of(d, 'name', 'delegate')} delegate: {', '.join(facts)}", width, indent="    ",
                       first="  ")
    return lines


def _counts_line(results: Sequence[Any]) -> str:
    counts = {v: 0 for v in _VERDICT_ORDER}
    for r in results:
        counts[str(field_of(r, "verdict"))] = counts.get(str(field_of(r, "verdict")), 0) + 1
    words = {"runs": ("runs", "run"), "delegate-fallback": ("with delegate fallback",) * 2,
             "does-not-run": ("does not run", "do not run")}
    parts = [f"{n} {words.get(v, (v, v))[n != 1]}" for v, n in counts.items() if n]
    return f"{len(results)} target{'s' if len(results) != 1 else ''}: " + ", ".join(parts)


_NBSP = "\u00a0"


def _keep_count(reason: str) -> str:
    """'… (182 ops)' wraps as one word: the count never lands alone on a line."""
    head, sep, count = reason.rpartition(" (")
    return f"{head}{sep}{count.replace(' ', _NBSP)}" if sep else reason


def _target_lines(results: Sequence[Any], width: int) -> list[str]:
    """One line per target: name, verdict, number of findings, the top reason (wrapped in its column)."""
    rows = []
    for r in results:
        groups = result_groups(r)
        rows.append((str(field_of(r, "target")), verdict_label(r), str(len(field_of(r, "findings", []) or [])),
                     groups[0].summary() if groups else "-", r))
    name_w = max([len("target")] + [len(row[0]) for row in rows])
    verdict_w = max([len("verdict")] + [len(row[1]) for row in rows])
    count_w = max([len("#")] + [len(row[2]) for row in rows])
    lead = name_w + verdict_w + count_w + 6
    reason_w = width - lead
    head = f"{'target':<{name_w}}  {'verdict':<{verdict_w}}  {'#':>{count_w}}  "
    tail = "top reason (# = findings)" if reason_w >= 25 else "top reason" if reason_w >= 24 else "(# = findings)"
    lines = [head + tail if len(head + tail) <= width else head.rstrip()]
    for name, verdict, count, reason, result in rows:
        left = f"{name:<{name_w}}  {verdict:<{verdict_w}}  {count:>{count_w}}  "
        if reason_w >= 24:
            wrapped = textwrap.wrap(inert(_keep_count(reason)), reason_w) or [""]
            lines.append(left + wrapped[0].replace(_NBSP, " "))
            lines += [" " * lead + part.replace(_NBSP, " ") for part in wrapped[1:]]
        else:  # too narrow for a column: the reason on its own indented line
            lines.append(left.rstrip())
            lines += wrap_text(reason, width, indent="    ")
        lines += _delegate_lines(result, width)
    return lines


def render_check(report: Any, *, width: int | None = None, verbose: bool = False) -> list[str]:
    """The whole `check` text: header, one line per target, then the grouped findings."""
    width = width or terminal_width()
    results = list(field_of(report, "results", []) or [])
    model = field_of(report, "model")
    path = field_of(model, "path", model) if isinstance(model, dict) else model
    size = field_of(report, "size_bytes") or (field_of(model, "size_bytes") if isinstance(model, dict) else None)
    sha = field_of(report, "sha256") or (field_of(model, "sha256") if isinstance(model, dict) else "")
    lines = wrap_text(f"edgetk check {path}", width, indent="    ", first="")
    predicted = any(not field_of(r, "evidence") or field_of(r, "evidence") == "static" for r in results)
    facts = [f"{size:,} bytes" if isinstance(size, int) else None, f"sha256 {sha[:12]}" if sha else None,
             _counts_line(results) + (" (predicted from the measured op tables unless marked otherwise)"
                                      if predicted else "")]
    lines += wrap_text("; ".join(f for f in facts if f), width, indent="", first="")
    lines += ["", *_target_lines(results, width)]
    groups = group_findings((str(field_of(r, "target")), f) for r in results for f in field_of(r, "findings", []) or [])
    if groups:
        total = sum(len(g.instances) for g in groups)
        note = "" if verbose else "; --verbose lists every instance"
        plural = "s" if len(groups) != 1 else ""
        findings = "finding" if total == 1 else "findings"
        lines += ["", *wrap_text(f"{total} {findings} in {len(groups)} group{plural} (by rule and op){note}:", width,
                             indent="", first="")]
        for n, group in enumerate(groups):
            fix_below = n + 1 < len(groups) and groups[n + 1].rule == group.rule and groups[n + 1].fix == group.fix
            lines += render_group(group, width, verbose=verbose, show_targets=len(results) > 1,
                                  show_fix=verbose or not fix_below)
    return lines


def render_device_checks(checks: Sequence[Any], *, width: int | None = None) -> list[str]:
    """Predicted (op table) vs observed (tried on the device): one line per device, the detail under it,
    a disagreement said loudly (the op table is stale)."""
    from toolkit.report.device_check import disagreement_line

    width = width or terminal_width()
    rows = [("device", "target", "via", "predicted", "observed")]
    for c in checks:
        observed = c.observed.verdict + (" DISAGREES" if c.agrees is False else "")
        rows.append((c.device, c.predicted.target, c.transport + ("*" if c.emulated else ""),
                     c.predicted.verdict, observed))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["predicted (op table) vs observed (on the device):"]
    for n, row in enumerate(rows):
        lines.append("  ".join(f"{cell:<{w}}" for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
        if n:
            o = checks[n - 1].observed
            first = f"{o.first_inference_ms:.2f} ms" if o.first_inference_ms is not None else "?"
            lines += wrap_text(o.message or f"{o.runtime}, {o.arch}: invoked once ({first})", width)
    if any(c.emulated for c in checks):
        lines.append("* emulated (qemu-user): real op support and numerics, not real timings")
    for c in checks:
        if c.agrees is False:
            lines += wrap_text(disagreement_line(c), width, first="")
    return lines


_LINE_STYLES = {"does-not-run": "bold red", "delegate-fallback": "yellow", "runs": "green",
                "PREDICTION WRONG": "bold red", "DISAGREES": "bold red", "error ": "red", "fallback ": "yellow",
                "warning ": "yellow"}


def print_lines(lines: Iterable[str], console: Any = None) -> None:
    """Print check's lines, verdict words coloured on a terminal."""
    print_text(lines, styles=_LINE_STYLES, console=console)
