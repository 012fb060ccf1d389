"""The check document (``edgetk.check/1``, what `check --json` prints and `report` reads) as typed models.

The JSON Schema in docs/schemas/check.schema.json is generated from ``CheckDocument`` (`make docs`); tests run
the real `check` (static, ``--verify``, ``--device``) on corpus models and validate what it prints, and
`report` validates its inputs with it. Prose: docs/schemas/check.md. Fields added within ``/1`` after its
first release have defaults, so documents written before them still validate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from toolkit.documents import Record, Strict, model_of
from toolkit.targets import delegate_verdict, finding, runtime_outcome

Verdict = Literal["runs", "delegate-fallback", "does-not-run"]


class ModelRef(Strict):
    path: str
    sha256: str
    size_bytes: int


#: generated from the library's records (targets/finding.py, delegate_verdict.py, runtime_outcome.py): one
#: declaration per field
CheckFinding = model_of(finding.Finding, name="CheckFinding", add={
    "fix": (str | None, Field(None, description="what to do about it, one line (toolkit/targets/fixes.py)"))})


class GpuNumericsOutput(Strict):
    name: str
    dtype: str | None = None
    shape: list[int] | None = None
    max_abs: float | None
    max_rel: float | None
    cpu_max_abs_value: float | None
    finite: bool


class GpuNumerics(Strict):
    """`--verify`: the GPU accelerator's outputs against LiteRT CPU on the same seeded inputs (docs/GPU.md)."""

    passed: bool | None
    outputs: list[GpuNumericsOutput]
    tolerance: dict[str, float]
    enforce_f32: bool


DelegateReason = model_of(delegate_verdict.DelegateReason)
Delegate = model_of(delegate_verdict.DelegateVerdict, name="Delegate", required=("reasons", "source"),
                    types={"reasons": list[DelegateReason], "predicted": "Delegate | None",
                           "numerics": GpuNumerics | None},
                    add={"prediction_wrong": (bool | None, Field(None))})
Delegate.model_rebuild()


RuntimeOutcome = model_of(runtime_outcome.RuntimeOutcome, doc="One runtime tried here (`--verify`).",
                          omit=("outputs",))


class Observed(Record):
    """What a device did with the model (`check --device`; built by toolkit.devices.on_device). ``message`` is
    the runtime's own error line when it failed; ``exit_code`` the code this device alone would give."""

    verdict: Literal["runs", "does-not-run", "not-checked"]
    runtime: str | None = None
    arch: str | None = None
    kind: str | None = None
    message: str | None = None
    op: str | None = None
    signal: str | None = None
    phase: str | None = None
    init_ms: float | None = None
    first_inference_ms: float | None = None
    arena_bytes: int | None = None
    exit_code: int = 0
    seconds: float = 0.0


class TargetResult(Strict):
    target: str
    verdict: Verdict
    evidence: Literal["static", "verified"] = "static"
    runtime: str = Field(description="runtime name and version of the probed op table the verdict used")
    op_table: str
    arena_estimate_bytes: int = Field(description="an estimate, not a measurement (docs/schemas/check.md)")
    arena_source: Literal["estimated", "host-run", "measured"] = Field(
        "estimated", description='"host-run": --verify ran TFLM on this host and arena_measured_bytes is what it '
                                 'used (a 64-bit host build: an MCU build differs by pointer sizes); "measured" is '
                                 "what an older edgetk wrote for the same")
    findings: list[CheckFinding]
    delegates: list[Delegate] = Field(default_factory=list)
    predicted_verdict: Verdict | None = Field(None, description="--verify: the static verdict")
    prediction_wrong: bool | None = Field(None, description="--verify: the runtime contradicted the prediction")
    arena_measured_bytes: int | None = None
    runtime_outcomes: list[RuntimeOutcome] = Field(default_factory=list)
    device: str | None = Field(None, description="--device: the inventory entry (and the fields below)")
    transport: str | None = None
    emulated: bool | None = None
    observed: Observed | None = None
    agrees: bool | None = Field(None, description="--device: whether 'can it run' was predicted right")


class CheckDocument(Strict):
    schema_: Literal["edgetk.check/1"] = Field(alias="schema")
    model: ModelRef
    all_run: bool
    predictions_wrong: list[str] = Field(default_factory=list)
    results: list[TargetResult]
    disagreements: list[str] = Field(default_factory=list, description="--device: devices contradicting it")

