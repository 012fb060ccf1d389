"""Kernel parameter constraints: the variants of an op that a kernel exists for but rejects in practice.

"Is there a kernel" is not enough: TFLM's STRIDED_SLICE refuses inputs of rank > 4 ("input dim should not
exceed 4"), TRANSPOSE above 5D (RANK_LIMITED_OPS), and runtime begin/end tensors ("Non-constant >begin< tensor is not supported"); hybrid
FULLY_CONNECTED (float activations, int8 weights: what `--quantize dynamic` writes) has no TFLM kernel.
Each constraint is an (op, feature) whose value ``op_features`` reads off a model's operator; the probe
(toolkit/targets/probe_constraints.py) runs one valid model per (op, feature, value) in each real runtime
and the op table records "ok" or the runtime's own error text. No TensorFlow, no numpy here.
"""

from __future__ import annotations

import math

from toolkit.model import Operator, Tensor, TfliteModel

#: Ops whose kernels limit the rank, measured (`edgetk targets probe`, ranks 1-8 and 16): TRANSPOSE 1D-5D in
#: TFLM, 1D-6D in tflite-runtime 2.14, 1D-8D in LiteRT 2.3; CONCATENATION <= 6 in TFLM; LiteRT's XNNPACK
#: delegate fails to prepare CONCATENATION, SOFTMAX and MEAN above rank 6 (the whole model fails to load);
#: TFLM aborts in ADD at rank 8 and above and crashes in TANH at rank 16. Elementwise ABS / MUL ran at every
#: probed rank in all three: rank alone is no reason, so rank is a per-op, per-runtime probed constraint.
RANK_LIMITED_OPS = ("TRANSPOSE", "CONCATENATION", "SOFTMAX", "MEAN", "ADD", "MUL", "TANH", "ABS")
#: ranks the probe builds; a higher rank is looked up as "9+" (probed at rank 16)
PROBED_RANKS = tuple(range(1, 9))
HIGH_RANK, HIGH_RANK_PROBED = "9+", 16

#: op -> the features probed for it (see ``op_features``)
CONSTRAINED_OPS: dict[str, tuple[str, ...]] = {
    "STRIDED_SLICE": ("input_rank", "begin", "end", "strides"),
    "FULLY_CONNECTED": ("quantization",),
    "CONV_2D": ("quantization",),
    "DEPTHWISE_CONV_2D": ("quantization",),
    "ADD": ("broadcast", "rank"),
    "MUL": ("broadcast", "rank"),
    "SOFTMAX": ("input_scale", "rank"),
    **{op: ("rank",) for op in ("TRANSPOSE", "CONCATENATION", "MEAN", "TANH", "ABS")},
}


def rank_value(rank: int) -> str:
    """The constraint value of an operator whose first input has ``rank`` dimensions."""
    return str(rank) if rank <= PROBED_RANKS[-1] else HIGH_RANK

#: TFLM's int8 SOFTMAX prepares `beta * input_scale * 2**26` as a multiplier that must exceed 1
#: (CalculateSoftmaxParams -> QuantizeMultiplierGreaterThanOne, a TFLITE_CHECK that aborts the process):
#: a softmax whose int8 input range is tiny (badly calibrated or random-weight models) kills TFLM at init.
SOFTMAX_MIN_SCALED_MULTIPLIER = 1.0
_SOFTMAX_INT8_SHIFT = 2.0**26


def softmax_input_scale(model: TfliteModel, op: Operator) -> str | None:
    """"int8-normal" | "int8-tiny" (beta x input scale x 2**26 <= 1) for an int8 SOFTMAX, None otherwise."""
    x = _tensor(model, op, 0)
    if x is None or x.dtype != "int8" or x.quantization is None or not x.quantization.scales:
        return None
    beta = float((op.options or {}).get("beta", 1.0) or 1.0)
    scaled = beta * float(x.quantization.scales[0]) * _SOFTMAX_INT8_SHIFT
    return "int8-normal" if scaled > SOFTMAX_MIN_SCALED_MULTIPLIER else "int8-tiny"


def _tensor(model: TfliteModel, op: Operator, position: int) -> Tensor | None:
    if position >= len(op.inputs) or op.inputs[position] < 0:
        return None
    return model.subgraphs[op.subgraph].tensors[op.inputs[position]]


def _const_or_runtime(t: Tensor | None) -> str | None:
    return None if t is None else ("constant" if t.is_constant else "runtime")


def weight_quantization(x: Tensor | None, w: Tensor | None) -> str | None:
    """float | hybrid-int8 (float activations, int8 weights) | int8-per-tensor | int8-per-channel | None."""
    if x is None or w is None:
        return None
    if w.dtype == "float32" and x.dtype == "float32":
        return "float"
    if w.dtype == "int8" and x.dtype == "float32":
        return "hybrid-int8"
    if w.dtype == "int8" and x.dtype == "int8":
        per_channel = w.quantization is not None and len(w.quantization.scales or ()) > 1
        return "int8-per-channel" if per_channel else "int8-per-tensor"
    return None


def broadcast_kind(a: Tensor | None, b: Tensor | None) -> str | None:
    """"same-shape", "scalar" (one operand has one element), or "rank-N" for a broadcast whose larger input
    has rank N."""
    if a is None or b is None:
        return None
    if tuple(a.shape) == tuple(b.shape):
        return "same-shape"
    if math.prod(a.shape) == 1 or math.prod(b.shape) == 1:
        return "scalar"
    return f"rank-{max(len(a.shape), len(b.shape))}"


def op_features(model: TfliteModel, op: Operator) -> dict[str, str]:
    """The constrained features of one operator, as the probe names their values."""
    wanted = CONSTRAINED_OPS.get(op.name, ())
    found: dict[str, str | None] = {}
    if "input_rank" in wanted:
        x = _tensor(model, op, 0)
        found["input_rank"] = str(len(x.shape)) if x is not None else None
    if "rank" in wanted:
        x = _tensor(model, op, 0)
        found["rank"] = rank_value(len(x.shape)) if x is not None else None
    for position, feature in ((1, "begin"), (2, "end"), (3, "strides")):
        if feature in wanted:
            found[feature] = _const_or_runtime(_tensor(model, op, position))
    if "quantization" in wanted:
        found["quantization"] = weight_quantization(_tensor(model, op, 0), _tensor(model, op, 1))
    if "broadcast" in wanted:
        found["broadcast"] = broadcast_kind(_tensor(model, op, 0), _tensor(model, op, 1))
    if "input_scale" in wanted:
        found["input_scale"] = softmax_input_scale(model, op)
    return {k: v for k, v in found.items() if v is not None}
