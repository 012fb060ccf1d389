"""One delegate's answer for one model (the "delegates" block of `check --json`): what the GPU op table
(toolkit.targets.gpu_verdict), a documented op list (toolkit.targets.delegates) or an accelerator run
(toolkit.targets.verify_gpu) says. Its ``edgetk.check/1`` parts (toolkit.targets.documents.Delegate /
DelegateReason) are generated from these dataclasses, so each field is declared here only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Coverage = Literal["full", "partial", "refused"]


@dataclass(frozen=True)
class DelegateReason:
    """One op type the delegate leaves to the CPU, with its reason line ("graph" for a refusal)."""

    op: str
    message: str = field(metadata={"description": "the delegate's own reason line"})


@dataclass(frozen=True)
class DelegateVerdict:
    """One delegate's answer for one model, as `check --json` prints it under "delegates"."""

    name: str = field(metadata={"description": "gpu, nnapi"})
    coverage: Coverage
    ops_on_cpu: list[str]
    partitions: int
    evidence: str = field(metadata={
        "description": '"op-table" · "accelerator-run" (--verify) · "predicted from docs"'})
    reasons: list[DelegateReason] = field(default_factory=list)
    source: str = ""  # the table / backend / document the verdict came from
    #: the op-table verdict, kept beside an accelerator run
    predicted: DelegateVerdict | None = field(default=None, metadata={
        "description": "--verify: the op-table verdict beside the run"})
    numerics: dict[str, Any] | None = None  # accelerator run: GPU vs LiteRT CPU on seeded inputs

    @property
    def prediction_wrong(self) -> bool:
        """An accelerator run whose coverage class or CPU op set the op table did not predict."""
        p = self.predicted
        return p is not None and (p.coverage, p.ops_on_cpu) != (self.coverage, self.ops_on_cpu)

    def document_fields(self) -> dict[str, Any]:
        """Its fields as ``edgetk.check/1`` carries them: an op-table verdict alone, or an accelerator run
        with the prediction (every field of it), its numerics and whether the prediction was wrong."""
        if self.predicted is None:
            return self._own()
        return {**self._own(), "predicted": self.predicted._whole(), "numerics": self.numerics,
                "prediction_wrong": self.prediction_wrong}

    def _own(self) -> dict[str, Any]:
        return {"name": self.name, "coverage": self.coverage, "ops_on_cpu": list(self.ops_on_cpu),
                "partitions": self.partitions, "evidence": self.evidence,
                "reasons": [{"op": r.op, "message": r.message} for r in self.reasons], "source": self.source}

    def _whole(self) -> dict[str, Any]:
        """Every field set (a prediction nested in a run carries its own predicted / numerics, null)."""
        return {**self._own(), "numerics": self.numerics,
                "predicted": self.predicted._whole() if self.predicted else None}
