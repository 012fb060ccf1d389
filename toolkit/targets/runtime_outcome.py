"""What one runtime tried here did with a model: the record `check --verify` (CPU runtimes, toolkit.targets.verify)
and the GPU delegate's evidence (toolkit.targets.verify_gpu) share, kept apart from both so neither imports
the other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NOT_TRIED = "not-tried"
Provenance = Literal["host-run", "emulated", "software-gpu", "measured"]
Outcome = Literal["runs", "does-not-run", "not-tried"]


@dataclass(frozen=True)
class RuntimeOutcome:
    """What one runtime did with the model. ``message`` is the runtime's own line when it failed.

    Its ``edgetk.check/1`` part (toolkit.targets.documents.RuntimeOutcome) is generated from these fields,
    all but ``outputs``. A dataclass rather than the pydantic model: ``outputs`` stays in memory only."""

    key: str
    label: str
    runtime: str  # "litert 2.3.0" as the runner reported it, else the runtime asked for
    provenance: Provenance
    outcome: Outcome
    kind: str | None = None  # runner error kind, "hung", "crashed", or why it was not tried
    message: str | None = None
    op: str | None = None
    arena_bytes: int | None = None  # TFLM: measured by its recording allocator
    seconds: float = 0.0
    #: the runner's output summaries (shape, dtype, min/max/mean, quantization) of a run that returned
    outputs: tuple[dict[str, Any], ...] = field(default=(), compare=False)


#: the kind of a try the runner refused because of the model's own inputs (the runner's bad-input outcome)
UNFED = "bad-input"


def unfed_message(result: Any) -> str | None:
    """The runner's line when it could be fed to NO runtime tried for this target (a ``TargetVerdict`` or its
    JSON dict): every try not-tried, one because the runner cannot feed the model's own inputs (e.g. rank > 32).
    Then --verify verified nothing there; None otherwise (a try ran, or runtimes were only missing)."""
    raw = result.get("runtime_outcomes") if isinstance(result, dict) else result.outcomes
    outcomes = [o if isinstance(o, dict) else {"outcome": o.outcome, "kind": o.kind, "message": o.message}
                for o in raw or ()]
    if not outcomes or any(o["outcome"] != NOT_TRIED for o in outcomes):
        return None
    return next((o["message"] for o in outcomes if o["kind"] == UNFED), None)
