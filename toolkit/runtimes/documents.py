"""The runner's JSON document (``edgetk.runner/2``) as typed models: the schema docs/schemas/ is generated from.

Version 2 added ``--batch`` (``RunnerBatchDocument``); a ``--model`` document has version 1's fields, and
documents stored by earlier edgetk (``edgetk.runner/1``) still validate.

runner.py itself stays self-contained (no pydantic on a device); these models describe what it prints, and a
test runs the real runner on every runtime here and validates its output against them, so the schema cannot
drift from the program. Prose: docs/schemas/runner.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.documents import Strict


class RuntimeInfo(Strict):
    name: Literal["litert", "tflite-runtime", "tflm"]
    version: str = Field(description="the distribution's version (or 'unknown (...)')")


class DeviceFacts(BaseModel):
    """What the device says it is. Emulated runs add ``guest_reported`` (what the image's /proc claimed)."""

    model_config = ConfigDict(extra="allow")
    arch: str
    cpu_model: str = Field(description="/proc/cpuinfo model name (emulated: the qemu core and target)")
    board: str = Field(description="/proc/device-tree/model, '' when absent")
    cores: int | None
    python: str
    numpy: str
    system: str


class TensorSpec(Strict):
    index: int
    name: str
    shape: list[int]
    dtype: str
    scales: list[float] = Field(description="at most 16 shown")
    zero_points: list[int] = Field(description="at most 16 shown")


class OutputSummary(TensorSpec):
    sha256: str = Field(description="of the output's bytes")
    min: float
    max: float
    mean: float
    std: float
    finite: bool


class RunOptions(Strict):
    runs: int
    warmup: int
    threads: int | None
    xnnpack: bool
    seed: int | None = Field(description="null with --inputs")
    inputs_file: bool
    arena_bytes: int | None


class Latency(Strict):
    """Over the timed invoke()s (inputs set once; percentiles linear). Only ``runs`` when none completed."""

    runs: int
    min: float | None = None
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    max: float | None = None
    std: float | None = None
    samples: list[float] | None = Field(None, description="every timed run, ms (5 decimals)")
    truncated_by_max_seconds: bool
    timing: str | None = Field(None, description="added by the host in bench documents: measured | emulated | "
                                                  "host-run | software-gpu (never printed by the runner)")
    round_p50: list[float] | None = Field(None, description="--batch: the median of each round's timed runs")


class Arena(Strict):
    """TFLM only: parsed from print_allocations() (fd 2 captured)."""

    raw: str
    total_bytes: int | None = None
    head_bytes: int | None = None
    tail_bytes: int | None = None


RunnerSchema = Literal["edgetk.runner/2", "edgetk.runner/1"]


class RunnerDocument(Strict):
    """A successful run (exit 0)."""

    schema_: RunnerSchema = Field(alias="schema")
    runtime: RuntimeInfo
    device: DeviceFacts
    init_ms: float = Field(description="interpreter creation + tensor allocation")
    inputs: list[TensorSpec]
    options: RunOptions
    first_inference_ms: float
    warmup_mean_ms: float | None
    latency_ms: Latency
    outputs: list[OutputSummary]
    arena: Arena | None = None
    peak_rss_bytes: int
    per_op: None = Field(description="always null: no Python interpreter API exposes per-op timing")
    outputs_npz: str | None = None


class RunnerErrorDetail(Strict):
    kind: Literal["bad-input", "missing-runtime", "missing-kernel", "init-failed", "invoke-failed", "internal"]
    message: str
    op: str | None = None


class RunnerErrorDocument(Strict):
    """A failed run (exit 2 bad input, 3 runtime missing, 4 runtime failed)."""

    schema_: RunnerSchema = Field(alias="schema")
    error: RunnerErrorDetail


class BatchOptions(RunOptions):
    rounds: int = Field(description="rounds the timed runs were interleaved in (at most --runs)")
    runs_per_round: int = Field(description="timed runs of each model per round (ceil(runs / rounds))")


class CpuTime(Strict):
    """The process's CPU time per timed run (time.process_time): immune to other processes holding the core."""

    p50: float
    min: float
    max: float
    round_p50: list[float] = Field(description="the median of each round's runs")


class BatchModel(Strict):
    """One model of a batch: its timings, or the error it alone met (the others went on)."""

    name: str = Field(description="the model's file name in the batch")
    init_ms: float | None = None
    inputs: list[TensorSpec] | None = None
    first_inference_ms: float | None = None
    outputs: list[OutputSummary] | None = None
    warmup_mean_ms: float | None = None
    latency_ms: Latency | None = None
    cpu_ms: CpuTime | None = None
    error: RunnerErrorDetail | None = None


class RunnerBatchDocument(Strict):
    """``--batch``: every model in one runner process (exit 0 even when some models failed)."""

    schema_: Literal["edgetk.runner/2"] = Field(alias="schema")
    runtime: RuntimeInfo
    device: DeviceFacts
    options: BatchOptions
    models: list[BatchModel] = Field(description="in batch order; a model that crashed the process is absent "
                                                 "(the host re-runs the batch without it)")
    peak_rss_bytes: int

