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

The ops of WHILE / IF bodies (``toolkit.model.slicer.slice_bodies``) ride in the same batch and are reported
under their subgraph (``bodies``): "WHILE#1 body op 5 FULLY_CONNECTED × 6" when the trip count is static,
each op's time above the invoke floor (a one-op model on four floats, timed beside them: what an isolated
run cannot resolve below) and that times the runs per invoke. They are a breakdown of the control-flow op's
own time (``parent_ms``), never added to the main subgraph's sum.

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
from toolkit.model.slicer import BodySlices, OpSlice, slice_bodies, slice_ops
from toolkit.runtimes.protocol import (
    Kind,
    RunnerOutcome,
    classify,
    classify_entry,
    hang_error,
    hung_stderr,
    last_model,
    last_phase,
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
#: A one-op model on four floats: what an invoke costs with (almost) no op in it, the floor under every slice.
FLOOR = "floor.tflite"
#: A batch is re-run without the slice that crashed or hung it at most this many times.
MAX_RERUNS = 8
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed member dates: the same slices make the same archive (content cache)


def slice_name(piece: OpSlice, body: BodySlices | None = None) -> str:
    if body is None:
        return f"op{piece.index:04d}.tflite"
    return f"p{body.parent_index:04d}{body.role}op{piece.index:04d}.tflite"


def write_batch(archive: Path, model_path: Path, pieces: list[OpSlice], bodies: list[BodySlices] = ()) -> list[str]:
    """The whole model, the invoke floor and every sliced op (main subgraph, then bodies) in one stored .zip;
    the member names in batch order."""
    from toolkit.model.builder import build_single_op_model

    members = [(WHOLE, Path(model_path).read_bytes()), (FLOOR, build_single_op_model("RELU"))]
    members += [(slice_name(p), p.data) for p in pieces if p.data is not None]
    members += [(slice_name(p, b), p.data) for b in bodies for p in b.slices if p.data is not None]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, _ZIP_DATE), data)
    return [name for name, _ in members]


def run_slices(transport: Transport, archive: Path, runtime: str, options: Any, rounds: int,
               ) -> tuple[dict[str, RunnerOutcome], dict[str, dict[str, str]], RunnerOutcome | None]:
    """Run the batch on the OPEN transport: (outcome per model name, models lost to a crash or hang with
    why, the outcome that failed the whole batch or None — a device that went away or a batch that ran past
    the timeout fails every slice with its reason, and the whole model's own run stands)."""
    lost: dict[str, dict[str, str]] = {}
    while True:
        try:
            result = run_batch(transport, archive, runtime, options, rounds=rounds, exclude=tuple(lost))
        except DeviceError as exc:
            stderr = hung_stderr(exc) or ""
            stuck = last_model(stderr)
            hung = hang_error(exc, transport.kind, "per-op batch", options.timeout) is not None
            # a model that hangs does so in its first runs; one stopped in the timed rounds ran fine before
            hung = hung and last_phase(stderr) in ("init", "first-inference", "warmup")
            if not hung or stuck is None or stuck in lost or len(lost) >= MAX_RERUNS:
                # the whole model's own run already succeeded: keep it, and say why no op has a figure
                return {}, lost, RunnerOutcome(Kind.NO_RESULT, message=f"the per-op batch failed: {exc}")
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
    in one runner run; the per-op document before ``complete_per_op`` adds shares, ratio and provenance.
    The ops of WHILE / IF bodies are timed too and reported under their subgraph (``bodies``)."""
    pieces, bodies = list(slice_ops(model_path)), list(slice_bodies(model_path))
    rounds = max(1, min(ROUNDS, options.runs))
    with tempfile.TemporaryDirectory(prefix="edgetk-slices-") as tmp:
        archive = Path(tmp) / "slices.zip"
        write_batch(archive, model_path, pieces, bodies)
        outcomes, lost, failure = run_slices(transport, archive, runtime, options, rounds)

    def timed(piece: OpSlice, body: BodySlices | None) -> tuple[str, dict[str, Any]]:
        entry = {"index": piece.index, "op": piece.op}
        if piece.data is None:
            return "skipped", dict(entry, reason=piece.skipped)
        got = _timed_entry(entry, slice_name(piece, body), outcomes, lost, failure)
        return ("failed", got) if "reason" in got else ("ops", dict(got, with_subgraphs=piece.with_subgraphs))

    main: dict[str, list[dict[str, Any]]] = {"ops": [], "skipped": [], "failed": []}
    for piece in pieces:
        where, entry = timed(piece, None)
        main[where].append(entry)
    floor = _timed_entry({}, FLOOR, outcomes, lost, failure)
    parts = []
    for body in bodies:
        part: dict[str, list[dict[str, Any]]] = {"ops": [], "skipped": [], "failed": []}
        for piece in body.slices:
            where, entry = timed(piece, body)
            part[where].append(entry)
        parts.append(body_profile(body, part, floor.get("ms"), main["ops"]))
    return {"method": ISOLATED_METHOD, "source": "isolated-op", **main, "rounds": rounds, "threads": options.threads,
            "whole_interleaved": _timed_entry({}, WHOLE, outcomes, lost, failure),
            "invoke_floor_ms": floor.get("ms"), "bodies": parts}


def body_profile(body: BodySlices, part: dict[str, list[dict[str, Any]]], floor_ms: float | None,
                 main_ops: list[dict[str, Any]]) -> dict[str, Any]:
    """One body's ops: each with its time above the invoke floor (``net_ms``) and, when the subgraph's runs
    per invoke are static, that times the count (``per_invoke_ms``); beside them the parent op's own time."""
    runs = body.runs_per_invoke
    net_total = 0.0
    for op in part["ops"]:
        op["net_ms"] = max(op["ms"] - (floor_ms or 0.0), 0.0)
        op["per_invoke_ms"] = op["net_ms"] * runs if runs is not None else None
        op["label"] = (f"{body.label} op {op['index']} {op['op']}" + (f" × {runs}" if runs is not None else ""))
        net_total += op["net_ms"]
    total = sum(op["ms"] for op in part["ops"])
    for op in part["ops"]:
        op["share"] = op["ms"] / total if total else None
    parent = next((op["ms"] for op in main_ops if op["index"] == body.parent_index), None)
    return {"parent_index": body.parent_index, "parent_op": body.parent_op, "role": body.role,
            "subgraph": body.subgraph, "name": body.name, "runs_per_invoke": runs, "how": body.how, **part,
            "sum_ms": total, "net_sum_ms": net_total,
            "per_invoke_ms": net_total * runs if runs is not None else None, "parent_ms": parent,
            "counts": {k: len(v) for k, v in (("timed", part["ops"]), ("skipped", part["skipped"]),
                                              ("failed", part["failed"]))}}


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
                note=ratio_note(ratio, per_op.get("source", "isolated-op"),
                                extra["cpu_ratio"] if (per_op.get("threads") or 1) <= 1 else None))


def ratio_note(ratio: float | None, source: str, cpu_ratio: float | None = None) -> str:
    """What the sum-vs-whole ratio says about trusting the per-op figures (the CPU-time ratio when there is
    one: wall time on a loaded machine also counts the waits for a core, longest for the whole model; not
    with --threads > 1, where CPU time adds up the threads)."""
    if ratio is None:
        return "no whole-model latency to compare with"
    if source == "profiler":
        return f"the runtime's profiler: op times sum to {ratio:.0%} of the average run"
    judged, what = (ratio, "of the whole run") if cpu_ratio is None else (cpu_ratio, "of the whole run on CPU time")
    verdict = "they decompose its latency" if 0.8 <= judged <= 1.25 else "a ranking, not a split"
    note = f"ops alone sum to {judged:.0%} {what}: {verdict}"
    if cpu_ratio is not None and abs(ratio - cpu_ratio) > 0.25 * cpu_ratio:
        note += f"; on wall clock {ratio:.0%}: a busy machine, the whole model waited for a core"
    return note


def top_ops(per_op: dict[str, Any], n: int = TOP_OPS) -> list[dict[str, Any]]:
    """The ``n`` slowest ops, slowest first."""
    return sorted(per_op.get("ops") or [], key=lambda op: -op["ms"])[:n]
