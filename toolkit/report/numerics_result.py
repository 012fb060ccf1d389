"""What a comparison's numerics found: each output's difference (new vs old, new vs the reference) and the
run's statuses (toolkit.report.numerics runs it). The ``edgetk.compare/1`` parts (toolkit.report.documents
.OutputDiff / Numerics) are generated from these dataclasses, so each field is declared here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class OutputDiff:
    index: int
    against: Literal["old", "reference"]
    shape: list[int]
    max_abs: float
    max_rel: float
    within: bool


@dataclass
class Numerics:
    seed: int
    atol: float
    rtol: float
    new_status: str = field(metadata={"description": '"ok" or the interpreter\'s one-line error'})
    old_status: str | None
    diffs: list[OutputDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def worst(self, against: str) -> OutputDiff | None:
        rows = [d for d in self.diffs if d.against == against]
        return max(rows, key=lambda d: d.max_abs) if rows else None

    def _largest(self, against: str, stat: str) -> float | None:
        return max((getattr(d, stat) for d in self.diffs if d.against == against), default=None)

    # the document's summary of the diffs, per side compared against (read with the fields by attribute)
    @property
    def max_abs_vs_old(self) -> float | None:
        return self._largest("old", "max_abs")

    @property
    def max_rel_vs_old(self) -> float | None:
        return self._largest("old", "max_rel")

    @property
    def max_abs_vs_reference(self) -> float | None:
        return self._largest("reference", "max_abs")

    @property
    def max_rel_vs_reference(self) -> float | None:
        return self._largest("reference", "max_rel")
