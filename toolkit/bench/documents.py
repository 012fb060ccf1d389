"""The bench document (``edgetk.bench/1``, what `bench --json` prints and the results store keeps) as a typed
model: the JSON Schema in docs/schemas/ is generated from it, and a test validates real bench output.

The runner's part is ``toolkit.runtimes.documents.RunnerDocument``; the sections computed on the host
(headline, roofline, per-op and MCU estimates) are typed as objects here and described in
docs/schemas/bench.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.bench.provenance import TIMINGS
from toolkit.runtimes.documents import Latency, RunnerDocument

Timing = Literal[TIMINGS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelRef(_Strict):
    path: str
    sha256: str
    size_bytes: int


class Options(_Strict):
    runs: int
    warmup: int
    threads: int | None
    xnnpack: bool
    inputs: str | None
    seed: int
    keep_outputs: str | None
    timeout: float
    runtime: str | None
    arena_bytes: int | None
    kernels: str | None


class Finding(_Strict):
    rule: str = Field(description='"arena-exceeds-ram", "model-exceeds-flash", "latency-stats", ...')
    severity: Literal["error", "warning", "info"]
    message: str


class GpuRuntime(_Strict):
    name: Literal["litert-gpu"]
    version: str
    backend: str = Field(description='"litert-gpu-webgpu (SwiftShader)": the accelerator backend that ran it')


class GpuDevice(_Strict):
    arch: str
    cpu_model: str = Field(description="the WebGPU adapter (SwiftShader Device (Subzero))")


class GpuRunnerDocument(_Strict):
    """`bench --accelerator gpu`: LiteRT's GPU accelerator child in the runner's place
    (toolkit.runtimes.gpu_accelerator.GpuRun.to_dict() under ``accelerator``)."""

    runtime: GpuRuntime
    device: GpuDevice
    provenance: Literal["software-gpu"]
    latency_label: str = Field(description="software GPU (SwiftShader) — not a phone's latency")
    init_ms: float | None = Field(description="model load + shader compilation")
    accelerator: dict[str, Any] = Field(description="coverage, ops_on_cpu, partitions, reasons, numerics, ...")
    latency_ms: Latency | None = Field(None, description="absent when the delegate refused the model")


class BenchDocument(_Strict):
    schema_: Literal["edgetk.bench/1"] = Field(alias="schema")
    id: int | None = Field(description="results-store record id (null before it is stored)")
    created_at: str
    edgetk_version: str
    model: ModelRef
    target: str
    device: str | None
    transport: str
    emulated: bool
    timing: Timing = Field(description="where the latency comes from")
    timing_note: str
    headline: dict[str, Any]
    options: Options
    findings: list[Finding]
    roofline: dict[str, Any] | None
    per_op_estimate: dict[str, Any] | None
    mcu_estimate: dict[str, Any] | None
    runner: RunnerDocument | GpuRunnerDocument
