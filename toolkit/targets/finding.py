"""One reason a model may not run (or runs only partly) on a target: what every compatibility rule yields
(toolkit.targets.rules) and what `check --verify` adds. Its ``edgetk.check/1`` part
(toolkit.targets.documents.CheckFinding) is generated from it.

A dataclass, not the pydantic model: the rules make one per op and target on every `check` (thousands on a
large model against every target), so construction does not pay for validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from toolkit.targets.fixes import fix_hint

Severity = Literal["error", "fallback", "warning"]


@dataclass(frozen=True)
class Finding:
    rule: str = field(metadata={"description": "rule function in toolkit/targets/rules.py (see docs/SUPPORTED_OPS.md)"})
    severity: Severity
    message: str
    op: str | None = None
    subgraph: int | None = None
    op_index: int | None = None

    @property
    def fix(self) -> str:
        """What to do about it, one line (toolkit/targets/fixes.py; a rule without its own gets the generic one)."""
        return fix_hint(self.rule, self.message)
