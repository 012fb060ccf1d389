"""One thing a bench result says about itself (arena over RAM, model over flash, odd latency statistics, the
GPU delegate's refusal ...). Its ``edgetk.bench/1`` part (toolkit.bench.documents.Finding) is generated from
this dataclass, so each field is declared here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class BenchFinding:
    rule: str = field(metadata={"description": '"arena-exceeds-ram", "model-exceeds-flash", "latency-stats", ...'})
    severity: Literal["error", "warning", "info"]
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message}
