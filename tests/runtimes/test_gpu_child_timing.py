"""The GPU child's timed window covers the work, not its enqueueing.

On LiteRT's GPU accelerator ``run_by_index`` only enqueues and returns: `bench --accelerator gpu` reported
selfie_segmentation at 0.257 ms on SwiftShader, where run + reading the outputs takes ~500 ms (measured by
hand with the same CompiledModel). Timing is never asserted in tests (docs/DEVELOPING.md), so this pins the
order of calls instead, on a recording stand-in for CompiledModel: in every timed run the outputs are read
(the read is what waits for the GPU) before the clock stops.
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.runtimes import gpu_child


class _Buffer:
    def __init__(self, events: list[str]) -> None:
        self.events = events

    def write(self, arr) -> None:
        self.events.append("write")

    def read(self, count: int, dtype) -> np.ndarray:
        self.events.append("read")
        return np.zeros(count, dtype)


class _Model:
    """A stand-in that records calls (the real accelerator's timing cannot be asserted)."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def create_input_buffers(self, index: int) -> list[_Buffer]:
        return [_Buffer(self.events)]

    def create_output_buffers(self, index: int) -> list[_Buffer]:
        return [_Buffer(self.events), _Buffer(self.events)]

    def run_by_index(self, index: int, ins, outs) -> None:
        self.events.append("run")


def test_each_timed_run_reads_its_outputs_before_the_clock_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(gpu_child.time, "perf_counter", lambda: events.append("clock") or float(len(events)))
    monkeypatch.setattr(gpu_child, "_output_specs",
                        lambda model: [("a", np.dtype("float32"), [1, 4]), ("b", np.dtype("float32"), [2])])
    outputs, times = gpu_child._run(_Model(events), [np.zeros(3, np.float32)], runs=2, warmup=1)
    timed = events[events.index("write") + 1:]
    warm = ["clock", "run", "read", "read"]  # the warm-up drains its queue too, so a timed run waits for itself only
    assert timed == warm + ["clock", "run", "read", "read", "clock"] * 2
    assert len(times) == 2 and [o.shape for o in outputs] == [(1, 4), (2,)]
