"""The compare document (``edgetk.compare/1``: `compare --json`, ``Comparison.to_dict()``) as typed models.

docs/schemas/compare.schema.json is generated from ``CompareDocument`` (`make docs`); tests validate real
comparisons against it and `report` validates its inputs with it. Prose: docs/schemas/compare.md.
``ModelSide``, ``OpDiff`` and ``TargetRow`` are also what ``compare_models`` builds (one definition each).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from toolkit.bench.documents import Timing
from toolkit.documents import Strict, model_of
from toolkit.report import numerics_result

CheckVerdict = Literal["runs", "delegate-fallback", "does-not-run", "not-converted"]


class TensorRef(Strict):
    name: str
    dtype: str
    shape: list[int]


class CostRow(Strict):
    op: str = Field(description='"NAME#subgraph.index"')
    name: str
    macs: int


class ModelSide(Strict):
    path: str
    producer: str | None
    size_bytes: int
    sha256: str
    subgraphs: int
    operators: int
    op_counts: dict[str, int]
    op_versions: dict[str, list[int]]
    flex_ops: list[str]
    custom_ops: list[str]
    inputs: list[TensorRef]
    outputs: list[TensorRef]
    total_macs: int | None = Field(None, description="null when the cost model cannot handle the model")
    cost_top: list[CostRow] = Field(default_factory=list)
    weight_dtype: str | None = Field(None, description="the dtype holding most weight bytes")


class OldFailure(Strict):
    converter: str = Field(description='"TOCO"')
    source: str | None
    message: str
    ops: list[str] = Field(description="TF ops TOCO wanted as custom/Flex ops")
    kinds: list[str]


class VersionChange(Strict):
    op: str
    new: list[int]
    old: list[int]


class CountChange(Strict):
    op: str
    new: int
    old: int


class OpDiff(Strict):
    added: list[str]
    removed: list[str]
    version_changed: list[VersionChange]
    count_changed: list[CountChange]


class TargetRow(Strict):
    target: str
    new_verdict: CheckVerdict
    old_verdict: CheckVerdict | None
    change: Literal["regression", "improvement", "unchanged", "no-baseline"]
    new_unsupported: list[str] = Field(default_factory=list)
    old_unsupported: list[str] = Field(default_factory=list)
    new_reasons: list[str] = Field(default_factory=list, description='check errors in short: "GELU: no kernel"')
    old_reasons: list[str] = Field(default_factory=list)
    evidence: Literal["static", "numerics", "bench"] = Field(
        "static", description='"numerics" (LiteRT on this host, for litert targets) or "bench": a run of this '
                              "comparison decided this target's verdicts: it saw a model fail (that outcome "
                              "replaced check's prediction) or saw every model run (check's 'runs' confirmed); "
                              '"static": the op tables only (docs/DEVELOPING.md: evidence beats prediction)')
    predicted_new_verdict: CheckVerdict | None = Field(None, description="check's verdict, when a run replaced it")
    predicted_old_verdict: CheckVerdict | None = None
    prediction_wrong: bool = False


#: generated from the numerics result (toolkit.report.numerics_result); the four extremes are its properties
OutputDiff = model_of(numerics_result.OutputDiff)
Numerics = model_of(numerics_result.Numerics, required=True, types={"diffs": list[OutputDiff]}, add={
    name: (float | None, Field()) for name in ("max_abs_vs_old", "max_rel_vs_old", "max_abs_vs_reference",
                                               "max_rel_vs_reference")})


class RoundStats(Strict):
    """Over the per-round medians."""

    min_ms: float
    median_ms: float
    max_ms: float
    rounds_ms: list[float]


class Estimate(Strict):
    new_ms: float
    old_ms: float


class LatencyRow(Strict):
    target: str
    device: str | None
    emulated: bool
    timing: Literal["measured", "emulated", "host-run", "software-gpu"] | None = Field(
        None, description="provenance of the timed rounds; absent in a document written before edgetk recorded it "
                          "(report says 'unknown (written by an older edgetk)')")
    verdict_timing: Timing | None = Field(
        None, description="provenance of the figure the verdict is on (estimated: the MCU cycle model); absent in "
                          "a document written before edgetk recorded it")
    estimate: Estimate | None = Field(None, description="the MCU estimates; absent in a document written before "
                                                        "edgetk compared them")
    ratio: float
    verdict: Literal["slower", "faster", "same"]
    new: RoundStats
    old: RoundStats
    samples_ms: dict[str, list[float]] = Field(description="every timed run of every round, per side")


class CompareFinding(Strict):
    severity: Literal["regression", "warning", "improvement", "info"]
    kind: str = Field(description="old-conversion-failed, producer, ops, signature, support, numerics, latency, "
                                  "quantization, accuracy-drift, size, latency-skipped")
    message: str
    target: str | None = None
    ops: list[str] | None = None
    timing: str | None = None
    side: Literal["new", "old", "both"] | None = None


class Drift(Strict):
    output: int
    against: Literal["old", "reference"]
    max_abs: float
    max_rel: float


class LatencyGain(Strict):
    target: str
    ratio: float
    timing: str
    gating: bool


class Quantization(Strict):
    active: bool
    requested: Literal["auto", "on", "off"]
    reason: str
    new_weights: str | None = None
    old_weights: str | None = None
    drift: list[Drift] | None = None
    size_ratio: float | None = None
    latency: list[LatencyGain] | None = None


class CompareDocument(Strict):
    schema_: Literal["edgetk.compare/1"] = Field(alias="schema")
    verdict: Literal["pass", "regression"]
    threshold: float = Field(description="latency threshold as a fraction (0.1 = 10 %)")
    new: ModelSide
    old: ModelSide | None = Field(description="null when the old converter failed")
    old_failure: OldFailure | None
    ops: OpDiff | None
    targets: list[TargetRow]
    numerics: Numerics | None
    latency: list[LatencyRow]
    findings: list[CompareFinding]
    quantization: Quantization | None = None
