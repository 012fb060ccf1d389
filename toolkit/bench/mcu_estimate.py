"""Estimated microcontroller latency: a per-op cycle model times the descriptor's clock.

No MCU can be run here, and the TFLM host interpreter's timings are an x86's. So the latency of a TFLM
target is *estimated* (and always labelled so) from the static cost model:

    MAC ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ...):
        cycles = cycles_per_mac * MACs * (calib_macs_per_cycle / target macs_per_cycle)
               + cycles_per_output * output elements          (requantisation, loop set-up per output)
    other ops:  cycles = cycles_per_byte * bytes moved (activations and weights)
    every op:   + cycles_per_op                                (interpreter dispatch)

``cycles_per_mac`` and ``cycles_per_output`` are fitted (least squares on relative error) to the MLPerf Tiny
v0.5 reference results (Cortex-M4 @ 120 MHz, TFLM reference kernels); the other numbers and the factors
for CMSIS-NN kernels and float32 are stated assumptions, not calibrated. Coefficients live in
mcu_coefficients.toml; the fit and its error are documented in docs/MCU_ESTIMATE.md.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from toolkit.errors import BadInputError

COEFFICIENTS_FILE = Path(__file__).with_name("mcu_coefficients.toml")
KernelFamily = Literal["reference", "cmsis-nn"]
_MAC_OPS = frozenset(
    {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL", "CONV_3D",
     "UNIDIRECTIONAL_SEQUENCE_LSTM", "LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN"}
)  # fmt: skip


@dataclass(frozen=True)
class Coefficients:
    cycles_per_mac: float
    cycles_per_output: float
    cycles_per_byte: float
    cycles_per_op: float
    calib_macs_per_cycle: float
    family_factors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # family -> {mac, output}
    dtype_factors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # dtype -> {mac, output}


def load_coefficients(path: Path = COEFFICIENTS_FILE) -> Coefficients:
    try:
        data = tomllib.loads(path.read_text())
        fitted, fixed = data["fitted"], data["assumed"]
        return Coefficients(
            cycles_per_mac=float(fitted["cycles_per_mac"]), cycles_per_output=float(fitted["cycles_per_output"]),
            cycles_per_byte=float(fixed["cycles_per_byte"]), cycles_per_op=float(fixed["cycles_per_op"]),
            calib_macs_per_cycle=float(data["calibration"]["macs_per_cycle"]),
            family_factors=data.get("kernel_family", {}), dtype_factors=data.get("dtype", {}),
        )  # fmt: skip
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise BadInputError(f"{path}: invalid MCU coefficients ({exc})") from None


@dataclass(frozen=True)
class OpFeatures:
    """What the cycle model needs of one operator."""

    index: int
    name: str
    dtype: str
    macs: int
    outputs: int
    bytes_moved: int
    runs: int = 1  # times the op runs per inference (WHILE trip count); macs/outputs/bytes are totals


def op_features(model: Any, cost: Any) -> list[OpFeatures]:
    """Per-op features of every subgraph; ops in WHILE loops count once per iteration (the cost model's
    trip counts; an unknown trip count counts once)."""
    subgraphs = model.subgraphs
    result = []
    for oc in cost.ops:
        sg = subgraphs[oc.subgraph]
        op = sg.operators[oc.index]
        runs = getattr(oc, "trip_count", 1) or 1
        outputs = sum(math.prod(max(d, 1) for d in sg.tensors[t].shape) for t in op.outputs if t >= 0) * runs
        result.append(OpFeatures(oc.index, oc.name, oc.dtype, int(oc.macs), int(outputs), int(oc.bytes_moved),
                                 int(runs)))  # fmt: skip
    return result


def _factor(table: Mapping[str, Mapping[str, float]], key: str, part: str) -> float:
    return float(table.get(key, {}).get(part, 1.0))


def op_cycles(f: OpFeatures, k: Coefficients, macs_per_cycle: float, family: KernelFamily) -> float:
    dtype = "float32" if f.dtype.startswith("float") else "int8"
    if f.name in _MAC_OPS and f.macs:
        mac = k.cycles_per_mac * _factor(k.family_factors, family, "mac") * _factor(k.dtype_factors, dtype, "mac")
        out = k.cycles_per_output * _factor(k.family_factors, family, "output") * _factor(
            k.dtype_factors, dtype, "output"
        )
        cycles = mac * f.macs * (k.calib_macs_per_cycle / macs_per_cycle) + out * f.outputs
    else:
        cycles = k.cycles_per_byte * f.bytes_moved
    return cycles + k.cycles_per_op * f.runs


@dataclass(frozen=True)
class McuEstimate:
    """Always an estimate: ``estimated`` is part of every serialisation."""

    target: str
    clock_hz: float
    kernels: str
    total_cycles: float
    latency_ms: float
    per_op: tuple[dict[str, Any], ...]
    calibration_error: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimated": True, "method": "per-op cycle model calibrated on MLPerf Tiny v0.5 (docs/MCU_ESTIMATE.md)",
            "target": self.target, "clock_hz": self.clock_hz, "kernels": self.kernels,
            "total_cycles": self.total_cycles, "latency_ms": self.latency_ms,
            "calibration_error": self.calibration_error, "per_op": list(self.per_op),
        }  # fmt: skip


def estimate_mcu_latency(
    model: Any, cost: Any, target: Any, *, kernels: KernelFamily = "reference", coefficients: Coefficients | None = None
) -> McuEstimate:
    """Estimated latency of ``model`` on ``target`` (clock and MACs/cycle from its descriptor)."""
    k = coefficients or load_coefficients()
    clock, mpc = float(target.cpu.clock_hz), float(target.cpu.macs_per_cycle)
    per_op, total = [], 0.0
    for f in op_features(model, cost):
        cycles = op_cycles(f, k, mpc, kernels)
        total += cycles
        per_op.append({"index": f.index, "op": f.name, "cycles": round(cycles), "ms": cycles / clock * 1e3})
    note = calibration_summary()
    return McuEstimate(target.name, clock, kernels, total, total / clock * 1e3, tuple(per_op), note)


def calibration_summary() -> str:
    try:
        data = tomllib.loads(COEFFICIENTS_FILE.read_text())
        return str(data["calibration"].get("error_summary", ""))
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ""


# ---------------------------------------------------------------- calibration
@dataclass(frozen=True)
class CalibrationSample:
    name: str
    features: tuple[OpFeatures, ...]
    measured_ms: float
    clock_hz: float


def _design_row(sample: CalibrationSample, k: Coefficients) -> tuple[np.ndarray, float, float]:
    """Fitted-term features [MACs, outputs], the fixed (assumed) cycles, and the measured cycles."""
    macs = outputs = 0
    fixed = 0.0
    for f in sample.features:
        if f.name in _MAC_OPS and f.macs:
            macs += f.macs
            outputs += f.outputs
            fixed += k.cycles_per_op * f.runs
        else:
            fixed += k.cycles_per_byte * f.bytes_moved + k.cycles_per_op * f.runs
    return np.array([macs, outputs], dtype=np.float64), fixed, sample.measured_ms * 1e-3 * sample.clock_hz


def fit_coefficients(samples: Sequence[CalibrationSample], base: Coefficients) -> Coefficients:
    """Least squares on relative error for (cycles_per_mac, cycles_per_output), int8 reference kernels."""
    rows, rhs = [], []
    for sample in samples:
        x, fixed, cycles = _design_row(sample, base)
        rows.append(x / cycles)
        rhs.append((cycles - fixed) / cycles)
    solution, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    return Coefficients(
        float(solution[0]), float(solution[1]), base.cycles_per_byte, base.cycles_per_op, base.calib_macs_per_cycle,
        base.family_factors, base.dtype_factors,
    )  # fmt: skip


def relative_error(sample: CalibrationSample, k: Coefficients) -> float:
    """(estimated - measured) / measured for one calibration sample."""
    cycles = sum(op_cycles(f, k, k.calib_macs_per_cycle, "reference") for f in sample.features)
    return cycles / sample.clock_hz * 1e3 / sample.measured_ms - 1.0


def leave_one_out(samples: Sequence[CalibrationSample], base: Coefficients) -> dict[str, float]:
    return {
        s.name: relative_error(s, fit_coefficients([o for o in samples if o is not s], base)) for s in samples
    }
