"""Quantization-aware comparison: a float model against its quantized version (or two precisions).

Comparing a float32 model with its int8 version under float tolerances always ends "regression": the
outputs differ by the quantization error, as they must. In quantization-aware mode (``compare --quantized``,
automatic when the models' weight dtypes or I/O dtypes differ) output differences are reported as accuracy
drift (a warning with the figures: check accuracy on real data), and size and latency as gains; op support
and crashes still gate.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolkit.provenance import GATING_TIMINGS


def weight_dtype(model: Any) -> str | None:
    """The dtype holding most weight bytes (constant tensors): "float32", "int8", "float16", ..."""
    by_dtype: Counter[str] = Counter()
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.is_constant:
                by_dtype[t.dtype] += t.buffer_bytes
    return by_dtype.most_common(1)[0][0] if by_dtype else None


def quantization_mode(requested: bool | None, new: Any, old: Any | None) -> dict[str, Any]:
    """{"active", "requested", "reason", "new_weights", "old_weights"}; auto (None) when precisions differ."""
    if old is None:
        return {"active": False, "requested": _word(requested), "reason": "no old model"}
    io_new = [t.dtype for t in new.inputs + new.outputs]
    io_old = [t.dtype for t in old.inputs + old.outputs]
    differs = []
    if new.weight_dtype != old.weight_dtype:
        differs.append(f"weights {new.weight_dtype} vs {old.weight_dtype}")
    if sorted(set(io_new)) != sorted(set(io_old)):  # the precisions, not how many tensors each side has
        differs.append(f"I/O dtypes {'/'.join(io_new)} vs {'/'.join(io_old)}")
    active = bool(differs) if requested is None else requested
    reason = ("requested (--quantized)" if requested else "--exact requested") if requested is not None else (
        f"automatic: {', '.join(differs)}" if differs else "same precision")
    return {"active": active, "requested": _word(requested), "reason": reason,
            "new_weights": new.weight_dtype, "old_weights": old.weight_dtype}


def _word(requested: bool | None) -> str:
    return "auto" if requested is None else "on" if requested else "off"


def quantization_findings(cmp: Any) -> list[dict]:
    """Drift and gains for an active quantization-aware comparison (replacing the numerics regressions)."""
    quant = cmp.quantization
    out: list[dict] = [{"severity": "info", "kind": "quantization",
                        "message": f"quantization-aware comparison ({quant['reason']}): output differences are "
                                   "accuracy drift, not regressions"}]
    drift = []
    for d in cmp.numerics.diffs if cmp.numerics else []:
        drift.append({"output": d.index, "against": d.against, "max_abs": d.max_abs, "max_rel": d.max_rel})
        out.append({"severity": "warning", "kind": "accuracy-drift",
                    "message": f"output {d.index} drifts from {d.against} by max abs {d.max_abs:.3g} "
                               f"(max rel {d.max_rel:.3g}) on seeded random inputs: expected quantization error; "
                               "check accuracy on real data"})
    quant["drift"] = drift
    if cmp.old:
        ratio = cmp.new.size_bytes / cmp.old.size_bytes if cmp.old.size_bytes else 1.0
        quant["size_ratio"] = round(ratio, 4)
        word = f"{1 / ratio:.2f}x smaller" if ratio < 1 else f"{ratio:.2f}x larger"
        out.append({"severity": "improvement" if ratio < 1 else "info", "kind": "size",
                    "message": f"size {cmp.new.size_bytes:,} bytes vs {cmp.old.size_bytes:,}: {word}"})
    gains = []
    for row in cmp.latency:
        gains.append({"target": row.target, "ratio": round(row.ratio, 4), "timing": row.verdict_timing,
                      "gating": row.verdict_timing in GATING_TIMINGS})
    quant["latency"] = gains
    return out
