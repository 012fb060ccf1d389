"""The bench document (``edgetk.bench/1``, what `bench --json` prints and the results store keeps) as a typed
model: the JSON Schema in docs/schemas/ is generated from it, and a test validates real bench output.

The runner's part is ``toolkit.runtimes.documents.RunnerDocument``; the sections computed on the host
(headline, roofline, per-op and MCU estimates) are typed as objects here and described in
docs/schemas/bench.md.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from toolkit.bench import finding, options
from toolkit.documents import Strict, model_of
from toolkit.provenance import TIMINGS
from toolkit.runtimes.documents import Latency, RunnerDocument

Timing = Literal[TIMINGS]  # type: ignore[valid-type]
#: Fields added after edgetk.bench/1 was first published are optional: a document from an older edgetk loads,
#: and report fills what it did not record with "unknown" (toolkit.report.older_documents), never a guess.
OLDER = "absent in a document written by an edgetk before it recorded this"


class ModelRef(Strict):
    path: str
    sha256: str
    size_bytes: int


#: generated from BenchOptions (toolkit.bench.options): the paths are strings in JSON; the options added within
#: /1 later (kernels, per_op, accelerator) may be absent
Options = model_of(options.BenchOptions, name="Options", types={"inputs": str | None, "keep_outputs": str | None},
                   required=[f.name for f in fields(options.BenchOptions)
                             if f.name not in ("kernels", "per_op", "accelerator")])


Finding = model_of(finding.BenchFinding, name="Finding")  # generated from the library's (toolkit.bench.finding)


class GpuRuntime(Strict):
    name: Literal["litert-gpu"]
    version: str
    backend: str = Field(description='"litert-gpu-webgpu (SwiftShader)": the accelerator backend that ran it')


class GpuDevice(Strict):
    arch: str
    cpu_model: str = Field(description="the WebGPU adapter (SwiftShader Device (Subzero))")


class GpuRunnerDocument(Strict):
    """`bench --accelerator gpu`: LiteRT's GPU accelerator child in the runner's place
    (toolkit.runtimes.gpu_accelerator.GpuRun.to_dict() under ``accelerator``)."""

    runtime: GpuRuntime
    device: GpuDevice
    provenance: Literal["software-gpu"]
    latency_label: str = Field(description="software GPU (SwiftShader) — not a phone's latency")
    init_ms: float | None = Field(description="model load + shader compilation")
    accelerator: dict[str, Any] = Field(description="coverage, ops_on_cpu, partitions, reasons, numerics, ...")
    latency_ms: Latency | None = Field(None, description="absent when the delegate refused the model")


class ToolLatency(Strict):
    """benchmark_model's timed-runs line (no samples: the tool prints none; p50 is its ``median=``)."""

    runs: int
    min: float | None
    mean: float | None = Field(description="Inference (avg)")
    p50: float | None = Field(description="median= of the count line (null for releases that print none)")
    max: float | None
    std: float | None
    p5: float | None
    p95: float | None
    samples: None
    truncated_by_max_seconds: bool
    timing: str | None = None


class BenchmarkModelDocument(Strict):
    """The adb path for phones without Python: LiteRT's benchmark_model output, parsed
    (toolkit.bench.benchmark_model; all times in ms, measured on the phone)."""

    schema_: Literal["edgetk.benchmark-model/1"] = Field(alias="schema")
    tool: dict[str, Any] = Field(description="{name: benchmark_model, binary: device path, argv}")
    runtime: dict[str, str]
    device: dict[str, Any] = Field(description="uname -m, getprop ro.product.model / ro.build.version.release")
    options: dict[str, Any]
    init_ms: float | None = Field(description="null when the GPU delegate refused the model (no run)")
    first_inference_ms: float | None
    warmup_mean_ms: float | None
    inference_avg_ms: float | None
    latency_ms: ToolLatency | None = Field(None, description="absent when the GPU delegate refused the model")
    memory_mb: dict[str, float | None] = Field(description="init / overall footprint delta, periodic peak")
    op_profile: list[dict[str, Any]] = Field(description="--enable_op_profiling: the regular runs' Run Order")
    delegates: list[dict[str, Any]] = Field(
        [], description='what the tool said it applied: {name: "GPU" | "XNNPACK" | ..., coverage: full | partial | '
                        "none, kernels, line}")
    tool_settings: dict[str, Any] = Field({}, description="num_threads / use_gpu / use_xnnpack as the tool logged them")
    gpu_note: str | None = Field(None, description="the tool's own GPU line when no GPU delegate line came")
    gpu_prediction: dict[str, Any] | None = Field(
        None, description="--accelerator gpu: the op table's GPU verdict {predicted, ops_on_cpu, source} beside what "
                          "the phone's delegate did {observed, agrees}")
    numerics: dict[str, Any] | None = Field(
        None, description="--accelerator gpu with inference_diff_binary: inference_diff's mean |GPU - CPU| per "
                          "output on the phone, with tolerance and verdict (toolkit.bench.inference_diff)")


class BatchTimings(Strict):
    """What a model timed in the per-op batch has besides its median: an op's slice and the whole model both
    (toolkit.bench.per_op._timed_entry fills them alike)."""

    min_ms: float | None = None
    max_ms: float | None = None
    runs: int | None = None
    round_ms: list[float] | None = Field(None, description="isolated-op: the median in each round")
    cpu_ms: float | None = Field(None, description="isolated-op: median CPU time of the runner process per run")
    cpu_round_ms: list[float] | None = Field(None, description="isolated-op: the median CPU time per round")


class OpTime(BatchTimings):
    index: int = Field(description="operator index in the main subgraph (the profiler's node index)")
    op: str
    ms: float = Field(description="median (p50) time of the op, in the document's timing")
    share: float | None = Field(description="ms / sum_ms")
    with_subgraphs: bool = Field(False, description="a control-flow op timed with its bodies")


class OpNotTimed(Strict):
    index: int
    op: str
    reason: str
    kind: str | None = None


class WholeInterleaved(BatchTimings):
    """The whole model as one more model of the slices' batch (its timings, or why it has none)."""

    ms: float | None = None
    kind: str | None = None
    reason: str | None = None


class RatioSpread(Strict):
    min: float
    median: float
    max: float
    rounds: int


class BodyOp(OpTime):
    index: int = Field(description="operator index in its subgraph")
    share: float | None = Field(description="ms / the body's sum_ms")
    net_ms: float = Field(description="ms above the invoke floor (invoke_floor_ms), at least 0")
    per_invoke_ms: float | None = Field(description="net_ms × runs_per_invoke (null when that is not static)")
    label: str = Field(description='e.g. "WHILE#1 body op 5 FULLY_CONNECTED × 6"')


class BodyProfile(Strict):
    """The ops of one subgraph a control-flow op of the main subgraph runs, each timed alone."""

    parent_index: int = Field(description="the WHILE / IF in the main subgraph")
    parent_op: str
    role: Literal["cond", "body", "then", "else"]
    subgraph: int
    name: str
    runs_per_invoke: int | None = Field(description="body: the static trip count; cond: trips + 1; null: not static")
    how: str = Field(description="how runs_per_invoke was found, or why it is not static")
    ops: list[BodyOp]
    skipped: list[OpNotTimed]
    failed: list[OpNotTimed]
    sum_ms: float
    net_sum_ms: float
    per_invoke_ms: float | None = Field(description="net_sum_ms × runs_per_invoke: the body's share of an invoke")
    parent_ms: float | None = Field(description="the parent op's own time (timed with its bodies)")
    counts: dict[str, int]


class PerOp(Strict):
    method: str
    source: Literal["isolated-op", "profiler"] = Field(
        description="isolated-op: each op run alone; profiler: the runtime's op profiler (benchmark_model)")
    timing: Timing = Field(description="provenance of every op time: the whole model's")
    ops: list[OpTime]
    skipped: list[OpNotTimed] = Field(description="ops not sliced, with why")
    failed: list[OpNotTimed] = Field(description="slices that did not run alone, with the runtime's answer")
    sum_ms: float
    whole_ms: float | None = Field(description="the whole model's p50 (isolated-op: timed in the slices' runner "
                                               "process, interleaved with them; profiler: its average)")
    whole_source: str | None = Field(None, description="which run whole_ms comes from")
    whole_interleaved: WholeInterleaved | None = Field(None, description="isolated-op: the whole model in the batch")
    ratio: float | None = Field(description="sum_ms / whole_ms: how far the per-op figures add up")
    ratio_spread: RatioSpread | None = Field(None, description="the ratio round by round (isolated-op)")
    rounds: int | None = Field(None, description="isolated-op: rounds the timed runs were interleaved in")
    threads: int | None = Field(None, description="isolated-op: --threads (above 1 the note judges by wall clock)")
    cpu_sum_ms: float | None = Field(None, description="isolated-op: sum of the ops' median CPU times")
    cpu_whole_ms: float | None = Field(None, description="isolated-op: the whole model's median CPU time")
    cpu_ratio: float | None = Field(None, description="cpu_sum_ms / cpu_whole_ms: what machine load does not move")
    cpu_ratio_spread: RatioSpread | None = Field(None, description="cpu_ratio round by round")
    invoke_floor_ms: float | None = Field(None, description="isolated-op: p50 of a one-op model on four floats")
    bodies: list[BodyProfile] = Field([], description="isolated-op: the ops of WHILE / IF bodies, by subgraph")
    counts: dict[str, int]
    note: str


class Headline(Strict):
    """THE latency of the result with its provenance (toolkit.provenance.headline_latency)."""

    p50_ms: float | None
    timing: Timing
    source: Literal["runner", "mcu_estimate"]
    note: str
    delegate: str | None = Field(None, description='"GPU" when a phone ran the timed runs on its GPU delegate, as '
                                 "benchmark_model said (absent otherwise)")


class Roofline(Strict):
    """How close the latency comes to the descriptor's peak MAC rate (compute roof only)."""

    total_macs: int
    peak_macs_per_s: float
    ideal_ms: float
    measured_ms: float | None = Field(None, description="absent when the latency is estimated")
    efficiency: float = Field(description="ideal / latency; above 1: the descriptor's peak is too low")
    latency_ms: float
    timing: Timing
    emulated: bool
    estimated: bool
    latency_source: str | None = None


class EstimatedOp(Strict):
    subgraph: int
    index: int
    op: str
    ms: float


class PerOpEstimate(Strict):
    """The measured p50 shared among ops by static cost: an estimate, labelled so."""

    estimated: Literal[True]
    method: str
    ops: list[EstimatedOp]


class McuOp(Strict):
    index: int
    op: str
    cycles: float
    ms: float


class McuTopOp(McuOp):
    share: float = Field(description="of the total cycles")


class McuEstimate(Strict):
    """The MCU cycle model's latency (docs/MCU_ESTIMATE.md): always an estimate."""

    estimated: Literal[True]
    method: str
    target: str
    clock_hz: float
    kernels: str
    kernel_class: str | None = Field(None, description=OLDER)
    total_cycles: float
    latency_ms: float
    calibration_status: str = Field("", description="calibrated · single-board · transfer "
                                                    "(toolkit.bench.mcu_estimate.CALIBRATION_STATUSES)")
    calibration_error: str
    note: str | None = Field(None, description=OLDER)
    top_ops: list[McuTopOp] = Field([], description="the costliest ops; empty in a document written before edgetk "
                                                    "recorded them")
    per_op: list[McuOp]
    timing: Literal["estimated"] = "estimated"


class LatencyChange(Strict):
    """After storing: the change against the previous stored result of the same setup (toolkit.bench.history)."""

    previous_id: int
    current_id: int
    previous_p50_ms: float
    current_p50_ms: float
    ratio: float
    verdict: Literal["slower", "faster", "same"]
    timing: Timing
    threshold: float
    regression: bool
    gating: bool = Field(description="a regression on a measured or estimated figure (a CI gate may fail on it)")
    message: str


def _runner_kind(doc: Any) -> str:
    """Which program's output sits under ``runner`` (so a wrong field is reported against that one only)."""
    get = doc.get if isinstance(doc, dict) else lambda key, default=None: getattr(doc, key, default)
    schema = get("schema", None) if isinstance(doc, dict) else get("schema_", None)
    if schema == "edgetk.benchmark-model/1":
        return "BenchmarkModelDocument"
    return "GpuRunnerDocument" if get("provenance", None) == "software-gpu" else "RunnerDocument"


RunnerPart = Annotated[Annotated[RunnerDocument, Tag("RunnerDocument")]
                       | Annotated[GpuRunnerDocument, Tag("GpuRunnerDocument")]
                       | Annotated[BenchmarkModelDocument, Tag("BenchmarkModelDocument")], Discriminator(_runner_kind)]


class BenchDocument(Strict):
    schema_: Literal["edgetk.bench/1"] = Field(alias="schema")
    id: int | None = Field(description="results-store record id (null before it is stored)")
    created_at: str
    edgetk_version: str
    model: ModelRef
    target: str
    device: str | None
    transport: str
    emulated: bool
    timing: Timing | None = Field(None, description="where the latency comes from; absent in a document written "
                                  "before edgetk recorded it: report says 'unknown (written by an older edgetk)'")
    timing_note: str
    headline: Headline | None = Field(None, description=OLDER)
    options: Options
    findings: list[Finding]
    roofline: Roofline | None
    per_op_estimate: PerOpEstimate | None
    per_op: PerOp | None = Field(None, description="bench --per-op: measured per-op times (docs/schemas/bench.md)")
    mcu_estimate: McuEstimate | None
    runner: RunnerPart
    previous: LatencyChange | None = Field(None, description="after storing: the change against the previous "
                                           "result of the same setup, null for the first; absent when not stored")
