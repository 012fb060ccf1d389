"""The conversion report (``edgetk.convert/1``: `convert --json`, `convert --report FILE`) as typed models.

docs/schemas/convert.schema.json is generated from ``ConvertDocument`` (`make docs`); a test validates real
conversion reports and `report` validates its inputs with it. Prose: docs/schemas/convert.md. The failure
document (``{"error", "note", "errors"}``, exit 5) has no schema name and is not a `report` input.
``OutputError``, ``RuntimeCheck`` and ``NumericsVerdict`` are also what the conversion builds (one definition);
``ConvertDocument`` is generated from ``ConversionReport``, the dataclass the conversion fills.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from pydantic import Field

from toolkit.documents import Record, Strict, model_of
from toolkit.targets.documents import CheckFinding

REPORT_SCHEMA = "edgetk.convert/1"


class OutputError(Record):
    """Numerical difference of one output of the .tflite against the TensorFlow model."""

    name: str = Field(description="signature output key")
    max_abs: float
    max_rel: float = Field(description="max abs error / max abs reference")


class RuntimeCheck(Record):
    """One run of the converted model in a runtime (its own child process) against TF's outputs."""

    runtime: str = Field(description='"litert", "litert-no-xnnpack", "tflm"')
    ok: bool = Field(description="false: the run crashed, failed or hung (error says which)")
    outputs: list[OutputError] = Field(default_factory=list)
    error: str | None = None


class NumericsVerdict(Record):
    """Whether the .tflite matches TF. Only "passed" and "skipped" exit 0."""

    status: Literal["passed", "failed", "not-checked", "skipped"] = Field(
        description="not-checked: TF's reference run failed; skipped: --no-verify")
    tolerance: float = Field(description="max relative error allowed (max |tflite - TF| / max |TF| per output)")
    tolerance_source: str = Field(description='"--tolerance" or "default for --quantize MODE"')
    worst_rel: float | None = None
    check_inputs: str | None = Field(None, description="where the check's inputs came from")
    reasons: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")


class RunOfTarget(Strict):
    runtime: str
    ok: bool
    error: str | None


class TargetRow(Strict):
    target: str
    verdict: Literal["runs", "delegate-fallback", "does-not-run"]
    runtime: str | None = Field(None, description="absent in a document written before edgetk recorded it")
    findings: list[str]
    finding_details: list[CheckFinding] = Field([], description="empty in a document written before edgetk "
                                                                "recorded them")
    predicted: Literal["runs", "delegate-fallback", "does-not-run"] | None = None
    evidence: Literal["static", "verified"] | None = None
    prediction_wrong: bool | None = None
    runtime_outcomes: list[RunOfTarget] | None = None


class LegacyFinding(Strict):
    kind: str = Field(description='"needs-custom-ops" | "needs-flex-ops" | "converter-error"')
    message: str
    ops: list[str]


class Legacy(Strict):
    """`convert --both`: the old converter (TOCO) on the same source."""

    ok: bool = Field(description="false: TOCO refused the model (a finding)")
    source: str
    output: str | None
    producer: str | None
    tf_version: str | None
    findings: list[LegacyFinding]
    log_tail: str


@dataclass
class ConversionReport:
    """The conversion report: printed by the CLI, written by --report as "edgetk.convert/1" JSON.

    A dataclass the conversion fills as it goes; ``ConvertDocument`` below is generated from it."""

    source: str
    output: str
    frontend: str = field(metadata={"description": "saved_model / keras / python / graphdef"})
    ops: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    builtin_only: bool = True
    convert_seconds: float = 0.0
    total_seconds: float = 0.0
    input_shapes: list[list[int]] = field(default_factory=list)
    rnn_form: Literal["fused", "loop"] | None = None  # None when the model has no RNN layer
    quantize: str = "none"
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the front-end did: signature used, graph rewrites
    numerics: list[RuntimeCheck] = field(default_factory=list)
    numerics_verdict: NumericsVerdict | None = field(default=None, metadata={
        "description": "absent in a document written before edgetk gave a verdict"})
    quantization_error: list[OutputError] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)  # TargetRow's fields (toolkit.convert.api)

    def to_model(self) -> ConvertDocument:
        """The ``edgetk.convert/1`` document as its typed model."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["targets"] = [TargetRow.model_validate(row) for row in self.targets]
        return ConvertDocument(schema=REPORT_SCHEMA, **values)

    def to_json(self) -> dict[str, Any]:
        """The document, emitted by its model: every field, a target row with the fields it has."""
        model = self.to_model()
        doc = model.model_dump(by_alias=True, exclude={"targets", "legacy"})
        doc["targets"] = [row.model_dump(exclude_unset=True) for row in model.targets]
        return doc


class _Head(Strict):
    # the document's first key, before the report's fields
    schema_: Literal["edgetk.convert/1"] = Field(alias="schema")


#: every field the conversion report has beside the two added later within /1
_ALWAYS = [f.name for f in fields(ConversionReport) if f.name not in ("notes", "numerics_verdict")]
ConvertDocument = model_of(ConversionReport, name="ConvertDocument", base=_Head, required=_ALWAYS,
                           types={"targets": list[TargetRow]}, add={"legacy": (Legacy | None, Field(None))})
