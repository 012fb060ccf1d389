"""The conversion report (``edgetk.convert/1``: `convert --json`, `convert --report FILE`) as typed models.

docs/schemas/convert.schema.json is generated from ``ConvertDocument`` (`make docs`); a test validates real
conversion reports and `report` validates its inputs with it. Prose: docs/schemas/convert.md. The failure
document (``{"error", "note", "errors"}``, exit 5) has no schema name and is not a `report` input.
``OutputError``, ``RuntimeCheck`` and ``NumericsVerdict`` are also what the conversion builds (one definition).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from toolkit.documents import Record, Strict
from toolkit.targets.documents import CheckFinding


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


class ConvertDocument(Strict):
    schema_: Literal["edgetk.convert/1"] = Field(alias="schema")
    source: str
    output: str
    frontend: str = Field(description="saved_model / keras / python / graphdef")
    ops: dict[str, int]
    size_bytes: int
    builtin_only: bool
    convert_seconds: float
    total_seconds: float
    input_shapes: list[list[int]]
    rnn_form: Literal["fused", "loop"] | None
    quantize: str
    fixes: list[str]
    warnings: list[str]
    notes: list[str] = Field(default_factory=list)
    numerics: list[RuntimeCheck]
    numerics_verdict: NumericsVerdict | None = Field(None, description="absent in a document written before "
                                                                   "edgetk gave a verdict")
    quantization_error: list[OutputError]
    targets: list[TargetRow]
    legacy: Legacy | None = None
