"""`bench --per-op`: measured per-op times by the isolated-op method, on the whole model's own transport.

``toolkit.model.slicer`` cuts the model into single-op models (real shapes, dtypes, quantization, weights).
They go to the device as ONE archive, with the whole model beside them, and ONE runner process times them
all (``--batch``, ``toolkit.runtimes.protocol.run_batch``) with the same runtime and options as the whole
model (local, SSH, emulated Pi, TFLM host-run, adb with Python), so an op's figure has the whole model's
provenance. The timed runs are interleaved in ``ROUNDS`` rounds — each round runs the whole model and then
every slice — so machine load falls on both alike: the ratio sum(op p50) / whole p50 is taken per round and
reported as its median with its spread (min / max over rounds). Near 1 the isolated figures add up to the
real run; far from it (warm caches for one op's weights, XNNPACK fusing, invoke overhead per slice) they
rank ops but do not decompose the latency. A slice that fails is listed with the runtime's answer; one that
kills or hangs the runner process is listed as crashed / hung and the batch is run again without it.

Neither Python runtime API exposes the interpreter's op profiler; benchmark_model's op profiling (the
adb path, ``toolkit.bench.benchmark_model``) fills the same document with the profiler's own figures.
"""

from __future__ import annotations

import statistics
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from toolkit.errors import DeviceError
from toolkit.model.slicer import OpSlice, slice_ops
from toolkit.runtimes.protocol import (
    Kind,
    RunnerOutcome,
    classify,
    classify_entry,
    hang_error,
    hung_stderr,
    last_model,
    run_batch,
)
from toolkit.transports.base import Transport

ISOLATED_METHOD = ("isolated-op: each op sliced into a model of its own; all slices and the whole model timed "
                   "in one runner process on the same transport, interleaved in rounds")
#: Documented band of sum(op p50) / whole-model p50 (wall clock) the tests accept on host LiteRT: wide, since
#: on a loaded machine the whole model waits for a core far longer than a short slice (docs/PERFORMANCE.md P11).
RATIO_BAND = (0.1, 3.0)
#: The same on the runner process's CPU time, which load does not inflate: the band the tests hold to.
CPU_RATIO_BAND = (0.5, 1.5)
TOP_OPS = 10
#: Rounds the timed runs are interleaved in (each round: the whole model, then every slice).
ROUNDS = 5
WHOLE = "whole.tflite"
#: A batch is re-run without the slice that crashed or hung it at most this many times.
MAX_RERUNS = 8
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed member dates: the same slices make the same archive (content cache)


def slice_name(piece: OpSlice) -> str:
    return f"op{piece.index:04d}.tflite"


def write_batch(archive: Path, model_path: Path, pieces: list[OpSlice]) -> list[str]:
    """The whole model and every sliced op in one stored .zip; the member names in batch order."""
    names = [WHOLE]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo(WHOLE, _ZIP_DATE), Path(model_path).read_bytes())
        for piece in pieces:
            if piece.data is not None:
                names.append(slice_name(piece))
                z.writestr(zipfile.ZipInfo(names[-1], _ZIP_DATE), piece.data)
    return names


def run_slices(transport: Transport, archive: Path, runtime: str, options: Any, rounds: int,
               ) -> tuple[dict[str, RunnerOutcome], dict[str, dict[str, str]], RunnerOutcome | None]:
    """Run the batch on the OPEN transport: (outcome per model name, models lost to a crash or hang with
    why, the outcome that failed the whole batch or None). A device that is gone raises, as a bench does."""
    lost: dict[str, dict[str, str]] = {}
    while True:
        try:
            result = run_batch(transport, archive, runtime, options, rounds=rounds, exclude=tuple(lost))
        except DeviceError as exc:
            stuck = last_model(hung_stderr(exc) or "")
            hung = hang_error(exc, transport.kind, "per-op batch", options.timeout) is not None
            if not hung or stuck is None or stuck in lost or len(lost) >= MAX_RERUNS:
                raise
            lost[stuck] = {"kind": "hang", "reason": f"the runner did not finish within {options.timeout:g}s "
                                                     "while running it (timed again without it)"}
            continue
        outcome = classify(result, transport.kind)
        stuck = last_model(result.stderr)
        if outcome.kind is Kind.CRASHED and stuck and stuck not in lost and len(lost) < MAX_RERUNS:
            lost[stuck] = {"kind": str(Kind.CRASHED), "reason": f"{outcome.message} (timed again without it)"}
            continue
        if outcome.kind is not Kind.OK:
            return {}, lost, outcome
        models = (outcome.document or {}).get("models") or []
        return {m["name"]: classify_entry(m) for m in models}, lost, None


def measure_per_op(transport: Transport, model_path: Path, runtime: str, options: Any) -> dict[str, Any]:
    """Time every slice of ``model_path`` (and the whole model, interleaved) through the OPEN ``transport``
    in one runner run; the per-op document before ``complete_per_op`` adds shares, ratio and provenance."""
    pieces = list(slice_ops(model_path))
    rounds = max(1, min(ROUNDS, options.runs))
    with tempfile.TemporaryDirectory(prefix="edgetk-slices-") as tmp:
        archive = Path(tmp) / "slices.zip"
        write_batch(archive, model_path, pieces)
        outcomes, lost, failure = run_slices(transport, archive, runtime, options, rounds)
    ops, skipped, failed = [], [], []
    for piece in pieces:
        entry = {"index": piece.index, "op": piece.op}
        if piece.data is None:
            skipped.append(dict(entry, reason=piece.skipped))
            continue
        timed = _timed_entry(entry, slice_name(piece), outcomes, lost, failure)
        if "reason" in timed:
            failed.append(timed)
        else:
            ops.append(dict(timed, with_subgraphs=piece.with_subgraphs))
    whole = _timed_entry({}, WHOLE, outcomes, lost, failure)
    return {"method": ISOLATED_METHOD, "source": "isolated-op", "ops": ops, "skipped": skipped, "failed": failed,
            "rounds": rounds, "whole_interleaved": whole}


def _timed_entry(entry: dict[str, Any], name: str, outcomes: dict[str, RunnerOutcome],
                 lost: dict[str, dict[str, str]], failure: RunnerOutcome | None) -> dict[str, Any]:
    """``entry`` with the model's timings, or with ``kind`` and ``reason`` when it has none."""
    if name in lost:
        return dict(entry, **lost[name])
    if failure is not None:
        return dict(entry, kind=str(failure.kind), reason=failure.message[:200] or "the batch failed")
    outcome = outcomes.get(name)
    if outcome is None:
        return dict(entry, kind=str(Kind.NO_RESULT), reason="absent from the runner's batch answer")
    latency = (outcome.document or {}).get("latency_ms") or {}
    if outcome.kind is not Kind.OK or latency.get("p50") is None:
        return dict(entry, kind=str(outcome.kind), reason=outcome.message[:200] or "no timing")
    cpu = (outcome.document or {}).get("cpu_ms") or {}
    return dict(entry, ms=float(latency["p50"]), min_ms=latency.get("min"), max_ms=latency.get("max"),
                runs=latency.get("runs"), round_ms=latency.get("round_p50"), cpu_ms=cpu.get("p50"),
                cpu_round_ms=cpu.get("round_p50"))


def round_ratios(ops: list[dict[str, Any]], whole_rounds: list[float] | None, key: str = "round_ms") -> list[float]:
    """sum(op round median) / whole round median in each round (every timed op ran in every round)."""
    if not whole_rounds or not ops or any(not op.get(key) for op in ops):
        return []
    n = min(len(whole_rounds), *(len(op[key]) for op in ops))
    return [sum(op[key][k] for op in ops) / whole_rounds[k] for k in range(n) if whole_rounds[k] > 0]


def _spread(ratios: list[float]) -> dict[str, Any] | None:
    if not ratios:
        return None
    return {"min": min(ratios), "median": statistics.median(ratios), "max": max(ratios), "rounds": len(ratios)}


def complete_per_op(per_op: dict[str, Any], whole_p50_ms: float | None, timing: str) -> dict[str, Any]:
    """Shares, the sum against the whole model (``ratio`` = sum_ms / whole_ms) and the provenance ``timing``.
    When the whole model was timed interleaved with the slices (isolated-op), ``whole_ms`` is its p50 in that
    runner process, ``ratio_spread`` the same ratio round by round, and ``cpu_ratio`` the ratio on CPU time
    (which a loaded machine's preemption does not inflate); otherwise ``whole_p50_ms`` (the whole model's own
    run, or the profiler's average) is what the sum is compared with."""
    ops = per_op["ops"]
    total = sum(op["ms"] for op in ops)
    for op in ops:
        op["share"] = op["ms"] / total if total else None
    extra: dict[str, Any] = {"cpu_ratio": None}
    interleaved = per_op.get("whole_interleaved") or {}
    if interleaved.get("ms"):
        whole_p50_ms = interleaved["ms"]
        extra["ratio_spread"] = _spread(round_ratios(ops, interleaved.get("round_ms")))
        extra["whole_source"] = (f"the whole model, timed in the same runner process interleaved with the ops "
                                 f"({per_op.get('rounds')} rounds)")
    else:
        extra["whole_source"] = ("the profiler's average run" if per_op.get("source") == "profiler"
                                 else "the whole model's own run")
    ratio = total / whole_p50_ms if whole_p50_ms and ops else None
    if interleaved.get("cpu_ms") and ops and all(op.get("cpu_ms") for op in ops):
        cpu_total = sum(op["cpu_ms"] for op in ops)
        extra.update(cpu_sum_ms=cpu_total, cpu_whole_ms=interleaved["cpu_ms"], cpu_ratio=cpu_total / interleaved["cpu_ms"],
                     cpu_ratio_spread=_spread(round_ratios(ops, interleaved.get("cpu_round_ms"), "cpu_round_ms")))
    return dict(per_op, timing=timing, sum_ms=total, whole_ms=whole_p50_ms, ratio=ratio, **extra,
                counts={"timed": len(ops), "skipped": len(per_op["skipped"]), "failed": len(per_op["failed"])},
                note=ratio_note(ratio, per_op.get("source", "isolated-op"), extra["cpu_ratio"]))


def ratio_note(ratio: float | None, source: str, cpu_ratio: float | None = None) -> str:
    """What the sum-vs-whole ratio says about trusting the per-op figures (the CPU-time ratio when there is
    one: wall time on a loaded machine also counts the waits for a core, longest for the whole model)."""
    if ratio is None:
        return "no whole-model latency to compare with"
    if source == "profiler":
        return f"the runtime's profiler: op times sum to {ratio:.0%} of the average run"
    judged, what = (ratio, "of the whole run") if cpu_ratio is None else (cpu_ratio, "of the whole run's CPU time")
    verdict = "they decompose its latency" if 0.8 <= judged <= 1.25 else "a ranking, not a split of it"
    note = f"ops alone sum to {judged:.0%} {what}: {verdict}"
    if cpu_ratio is not None and abs(ratio - cpu_ratio) > 0.25 * cpu_ratio:
        note += f" (wall clock {ratio:.0%}: the machine was busy, the whole model waited longer for a core)"
    return note


def top_ops(per_op: dict[str, Any], n: int = TOP_OPS) -> list[dict[str, Any]]:
    """The ``n`` slowest ops, slowest first."""
    return sorted(per_op.get("ops") or [], key=lambda op: -op["ms"])[:n]
