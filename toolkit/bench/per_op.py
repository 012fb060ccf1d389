"""`bench --per-op`: measured per-op times by the isolated-op method, on the whole model's own transport.

``toolkit.model.slicer`` cuts the model into single-op models (real shapes, dtypes, quantization, weights);
each goes through ``run_runner`` on the SAME open transport, with the same runtime and options as the whole
model (local, SSH, emulated Pi, TFLM host-run, adb), so an op's figure has the whole model's provenance.
The per-op document says, per op, the median (p50) of its timed runs and its share of the sum; and the sum
against the whole model's p50 (``ratio``): near 1 the isolated figures add up to the real run; far from it
(warm caches for one op's weights, XNNPACK fusing, invoke overhead per slice) they rank ops but do not
decompose the latency. Ops that could not be sliced or did not run alone are listed with the reason.

Neither Python runtime API exposes the interpreter's op profiler; benchmark_model's op profiling (the
adb path, ``toolkit.bench.benchmark_model``) fills the same document with the profiler's own figures.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from toolkit.errors import DeviceError
from toolkit.model.slicer import slice_ops
from toolkit.runtimes.protocol import Kind, classify, hang_error, run_runner
from toolkit.transports.base import Transport

ISOLATED_METHOD = "isolated-op: each op sliced into a model of its own and run alone on the same transport"
#: Documented band of sum(op p50) / whole-model p50 that the tests accept on host LiteRT (docs/PERFORMANCE.md).
RATIO_BAND = (0.1, 3.0)
TOP_OPS = 10


def measure_per_op(transport: Transport, model_path: Path, runtime: str, options: Any) -> dict[str, Any]:
    """Run every slice of ``model_path`` through the OPEN ``transport``; the per-op document without the
    whole-model comparison (``complete_per_op`` adds it once the whole model's p50 and timing are known)."""
    ops, skipped, failed = [], [], []
    with tempfile.TemporaryDirectory(prefix="edgetk-slices-") as tmp:
        for piece in slice_ops(model_path):
            entry = {"index": piece.index, "op": piece.op}
            if piece.data is None:
                skipped.append(dict(entry, reason=piece.skipped))
                continue
            path = Path(tmp) / f"op{piece.index}.tflite"
            path.write_bytes(piece.data)
            try:
                outcome = classify(run_runner(transport, path, runtime, options), transport.kind)
            except DeviceError as exc:
                if hang_error(exc, transport.kind, piece.op, options.timeout) is None:
                    raise  # the device is gone: not the op's fault
                failed.append(dict(entry, kind="hang", reason=f"did not finish within {options.timeout:g}s"))
                continue
            latency = (outcome.document or {}).get("latency_ms") or {}
            if outcome.kind is not Kind.OK or latency.get("p50") is None:
                failed.append(dict(entry, kind=str(outcome.kind), reason=outcome.message[:200] or "no timing"))
                continue
            ops.append(dict(entry, ms=float(latency["p50"]), min_ms=latency.get("min"), max_ms=latency.get("max"),
                            runs=latency.get("runs"), with_subgraphs=piece.with_subgraphs))
    return {"method": ISOLATED_METHOD, "source": "isolated-op", "ops": ops, "skipped": skipped, "failed": failed}


def complete_per_op(per_op: dict[str, Any], whole_p50_ms: float | None, timing: str) -> dict[str, Any]:
    """Shares, the sum against the whole model's p50 (``ratio``) and the provenance ``timing``."""
    ops = per_op["ops"]
    total = sum(op["ms"] for op in ops)
    for op in ops:
        op["share"] = op["ms"] / total if total else None
    ratio = total / whole_p50_ms if whole_p50_ms and ops else None
    return dict(per_op, timing=timing, sum_ms=total, whole_ms=whole_p50_ms, ratio=ratio,
                counts={"timed": len(ops), "skipped": len(per_op["skipped"]), "failed": len(per_op["failed"])},
                note=ratio_note(ratio, per_op.get("source", "isolated-op")))


def ratio_note(ratio: float | None, source: str) -> str:
    """What the sum-vs-whole ratio says about trusting the per-op figures."""
    if ratio is None:
        return "no whole-model latency to compare with"
    if source == "profiler":
        return f"the runtime's profiler: op times sum to {ratio:.0%} of the average run"
    if 0.8 <= ratio <= 1.25:
        return f"ops alone sum to {ratio:.0%} of the whole run: they decompose its latency"
    return f"ops alone sum to {ratio:.0%} of the whole run: a ranking, not a split of it"


def top_ops(per_op: dict[str, Any], n: int = TOP_OPS) -> list[dict[str, Any]]:
    """The ``n`` slowest ops, slowest first."""
    return sorted(per_op.get("ops") or [], key=lambda op: -op["ms"])[:n]
