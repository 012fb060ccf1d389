"""`check_model`: run every compatibility rule for a model against each target and give a verdict.

Verdicts: "does-not-run" (any error finding), "delegate-fallback" (runs, but some ops leave a delegate),
"runs". The JSON form (`CheckReport.to_dict`, schema "edgetk.check/1") is emitted by its typed model
(toolkit.targets.documents.CheckDocument) and documented in docs/schemas/check.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.documents import dump
from toolkit.model import TfliteModel
from toolkit.targets import documents
from toolkit.targets.delegate_verdict import DelegateVerdict
from toolkit.targets.finding import Finding
from toolkit.targets.optable import load_op_table, table_path
from toolkit.targets.rules import CheckContext, estimated_arena, run_rules
from toolkit.targets.runtime_outcome import RuntimeOutcome
from toolkit.targets.schema import TargetDescriptor

CHECK_SCHEMA = "edgetk.check/1"
RUNS, FALLBACK, DOES_NOT_RUN = "runs", "delegate-fallback", "does-not-run"
STATIC, VERIFIED = "static", "verified"


@dataclass(frozen=True)
class TargetVerdict:
    """One target's verdict: the working object of check, --verify (``dataclasses.replace``) and --device.

    Not generated into ``documents.TargetResult`` (nor the reverse), though ten fields are in both: the
    document puts two derived values (``arena_source``, ``prediction_wrong``) between stored fields, and
    `check --json` keeps that key order, which a generated model (dataclass order) cannot; it also has the
    --device fields (toolkit.devices.on_device) and the --verify ones only when verified. Its parts *are*
    generated: findings, delegates and runtime outcomes (targets/finding.py, delegate_verdict.py,
    runtime_outcome.py). Merging would mean reordering check's JSON or the positional fields callers use.
    """

    target: str
    verdict: str
    findings: list[Finding]
    runtime: str
    op_table: str
    arena_estimate_bytes: int
    #: "static" (op tables and rules: a prediction) or "verified" (a runtime tried here decided; `check --verify`)
    evidence: str = STATIC
    predicted_verdict: str | None = None  # the static verdict, kept beside a verified one
    outcomes: list[RuntimeOutcome] = field(default_factory=list)  # one per runtime tried
    arena_measured_bytes: int | None = None  # TFLM's own arena total, when verified
    delegates: list[DelegateVerdict] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def prediction_wrong(self) -> bool:
        """A verified verdict that the static prediction got wrong on "can it run"."""
        if self.evidence != VERIFIED or self.predicted_verdict is None:
            return False
        return (self.predicted_verdict == DOES_NOT_RUN) != (self.verdict == DOES_NOT_RUN)

    @property
    def arena_source(self) -> str:
        return "host-run" if self.arena_measured_bytes is not None else "estimated"  # TFLM ran on this host

    def to_model(self) -> documents.TargetResult:
        """Its part of ``edgetk.check/1``; the --verify fields only when a runtime was tried."""
        fields: dict[str, Any] = {
            "target": self.target, "verdict": self.verdict, "evidence": self.evidence, "runtime": self.runtime,
            "op_table": self.op_table, "arena_estimate_bytes": self.arena_estimate_bytes,
            "arena_source": self.arena_source, "findings": [documents.CheckFinding.of(f) for f in self.findings],
            "delegates": [documents.Delegate.model_validate(d.document_fields()) for d in self.delegates],
        }  # fmt: skip
        if self.evidence == VERIFIED:
            fields.update(predicted_verdict=self.predicted_verdict, prediction_wrong=self.prediction_wrong,
                          arena_measured_bytes=self.arena_measured_bytes)
        if self.outcomes:
            fields["runtime_outcomes"] = [documents.RuntimeOutcome.of(o) for o in self.outcomes]
        return documents.TargetResult(**fields)

    def to_dict(self) -> dict[str, Any]:
        return dump(self.to_model())


@dataclass(frozen=True)
class CheckReport:
    """The model and its target verdicts. Its document (``documents.CheckDocument``) shares only
    ``results``: the model is a nested ``ModelRef`` there, and ``all_run`` / ``predictions_wrong`` are derived."""

    model: str
    sha256: str
    size_bytes: int
    results: list[TargetVerdict] = field(default_factory=list)

    @property
    def all_run(self) -> bool:
        return all(r.verdict != DOES_NOT_RUN for r in self.results)

    @property
    def predictions_wrong(self) -> list[TargetVerdict]:
        return [r for r in self.results if r.prediction_wrong]

    def to_model(self) -> documents.CheckDocument:
        return documents.CheckDocument(
            schema=CHECK_SCHEMA, model=documents.ModelRef(path=self.model, sha256=self.sha256,
                                                          size_bytes=self.size_bytes),
            all_run=self.all_run, predictions_wrong=[r.target for r in self.predictions_wrong],
            results=[r.to_model() for r in self.results])

    def to_dict(self) -> dict[str, Any]:
        """The ``edgetk.check/1`` document, emitted by its typed model (toolkit.targets.documents)."""
        return dump(self.to_model())


def verdict_of(findings: Sequence[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return DOES_NOT_RUN
    return FALLBACK if "fallback" in severities else RUNS


def check_target(model: TfliteModel, target: TargetDescriptor) -> TargetVerdict:
    table = load_op_table(table_path(target.runtime.op_table, target.source_file or None))
    ctx = CheckContext(model, target, table)
    findings = run_rules(ctx)
    return TargetVerdict(
        target=target.name,
        verdict=verdict_of(findings),
        findings=findings,
        runtime=f"{table.runtime} {table.version}",
        op_table=str(table.path.name),
        arena_estimate_bytes=estimated_arena(model, target)[0],
        delegates=ctx.delegates,
    )


def check_model(model: TfliteModel, targets: Sequence[TargetDescriptor | str]) -> CheckReport:
    """Check one loaded model against targets (descriptors, or names looked up in the registry)."""
    if any(isinstance(t, str) for t in targets):
        from toolkit.targets.registry import load_registry

        registry = load_registry()
        targets = [registry.get(t) if isinstance(t, str) else t for t in targets]
    results = [check_target(model, t) for t in targets if isinstance(t, TargetDescriptor)]
    return CheckReport(model=str(model.path), sha256=model.sha256, size_bytes=model.size_bytes, results=results)
