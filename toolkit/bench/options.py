"""What `edgetk bench` is asked to do: every knob, defaults as a user gets them without flags. Its
``edgetk.bench/1`` part (toolkit.bench.documents.Options) is generated from this dataclass; kept apart from
the orchestration, which the document models must not import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BenchOptions:
    runs: int = 50
    warmup: int = 5
    threads: int | None = None
    xnnpack: bool = True
    inputs: Path | None = None  # .npz with one array per input (by name, input_N or arr_N)
    seed: int = 0
    keep_outputs: Path | None = None  # local .npz to receive the inputs and outputs (numerical validation)
    timeout: float = 600.0
    runtime: str | None = None  # override the descriptor's runtime (e.g. "tflite-runtime" on the host)
    arena_bytes: int | None = None  # TFLM arena to give the interpreter (default: generous; use is measured)
    #: kernel family of the MCU latency estimate (default: the descriptor's)
    kernels: str | None = field(default=None, metadata={
        "description": "--kernels; absent in a document written before edgetk recorded it"})
    #: also time every op alone (isolated-op method, toolkit.bench.per_op)
    per_op: bool = field(default=False, metadata={"description": "bench --per-op: every op also timed alone"})
    #: "gpu": here, LiteRT's GPU accelerator (toolkit.bench.gpu_bench); on a phone, benchmark_model --use_gpu
    accelerator: str | None = field(default=None, metadata={
        "description": '"gpu": LiteRT\'s GPU accelerator here (software-gpu), or the phone\'s GPU delegate '
                       "through benchmark_model --use_gpu (measured)"})

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "runs": self.runs, "warmup": self.warmup, "threads": self.threads, "xnnpack": self.xnnpack,
            "inputs": str(self.inputs) if self.inputs else None, "seed": self.seed,
            "keep_outputs": str(self.keep_outputs) if self.keep_outputs else None, "timeout": self.timeout,
            "runtime": self.runtime, "arena_bytes": self.arena_bytes, "kernels": self.kernels,
            "per_op": self.per_op,
        }  # fmt: skip
        # only when set: results stored before the option existed keep comparing with CPU runs (same setup)
        return {**doc, "accelerator": self.accelerator} if self.accelerator else doc
