"""Estimated microcontroller latency: a per-op cycle model, per kernel family and core class, times the clock.

No MCU can be run here, and the TFLM host interpreter's timings are an x86's. So the latency of a TFLM
target is *estimated* (and always labelled so) from the static cost model:

    MAC ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ...):
        cycles = cycles_per_mac * MACs * (class macs_per_cycle / target macs_per_cycle)
               + cycles_per_output * output elements          (requantisation, loop set-up per output)
    other ops:  cycles = cycles_per_byte * bytes moved (activations and weights)
    every op:   + cycles_per_op                                (interpreter dispatch)

The kernels a deployment is built with change the cost several-fold, so ``cycles_per_mac`` and
``cycles_per_output`` belong to a *kernel class*: a kernel family (reference, CMSIS-NN, ESP-NN, named by the
descriptor's ``[runtime] kernels`` or ``bench --kernels``) on a core class (the descriptor's ``cpu.arch``).
The MAC term scales with the descriptor's macs_per_cycle for SIMD kernels only (reference kernels are scalar
C); cmsis-nn/mve adds ``cycles_per_weight_byte`` x the weight bytes of ops that use each weight once (fully
connected at batch 1: the weights stream from flash; a convolution's stay in cache and are priced by its
MACs); float ops under the integer-only CMSIS-NN and ESP-NN are priced with the same core's reference class. Each class is fitted to published measurements
(toolkit/bench/mcu_calibration.py, benchmarks/mcu_published.py, docs/MCU_ESTIMATE.md), or, with none, copies
another class's coefficients and says so. Coefficients and their errors live in mcu_coefficients.toml.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolkit.errors import BadInputError

COEFFICIENTS_FILE = Path(__file__).with_name("mcu_coefficients.toml")
KernelFamily = Literal["reference", "cmsis-nn", "esp-nn"]
KERNEL_FAMILIES: tuple[str, ...] = ("reference", "cmsis-nn", "esp-nn")
TOP_OPS = 5  # ops listed in the breakdown (by estimated cycles)
CALIBRATION_STATUSES = {
    "calibrated": "fitted on two or more boards: leave-one-board-out error measured",
    "single-board": "fitted on one board: leave-one-board-out error not computable, not validated",
    "transfer": "no calibration point: another class's coefficients, not validated",
}
MAC_OPS = frozenset(
    {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL", "CONV_3D",
     "UNIDIRECTIONAL_SEQUENCE_LSTM", "LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN"}
)  # fmt: skip


@dataclass(frozen=True)
class KernelClass:
    """A kernel family on a core class. Fitted freely on ``terms`` (no ``shape``), or as one scale on the
    ``shape`` class's coefficients plus free ``extra_terms``: fewer free parameters where the points are few
    or come from one board."""

    name: str
    family: str
    archs: tuple[str, ...]
    shape: str | None = None
    terms: tuple[str, ...] = ("macs", "outputs")  # fitted terms of a class without a shape
    extra_terms: tuple[str, ...] = ()  # fitted beside the shape's scale
    simd: bool = True  # MAC cycles scale with the descriptor's macs_per_cycle (reference kernels are scalar C)
    transfer: str | None = None  # no permitted calibration point: this class's coefficients are copied
    note: str = ""


KERNEL_CLASSES: tuple[KernelClass, ...] = (  # ordered: shape and transfer classes come first
    KernelClass("cmsis-nn/dsp", "cmsis-nn", ("armv7e-m", "armv8-m.main")),
    # One board: the DSP class's MAC/output shape, scaled; Helium makes MACs cheap enough that streaming weights
    # used once shows (AD, all fully connected: 0.63 cycle per streamed weight byte beside 0.12 per MAC on the M85)
    KernelClass("cmsis-nn/mve", "cmsis-nn", ("armv8.1-m.main",), shape="cmsis-nn/dsp", extra_terms=("weight_bytes",)),
    KernelClass("reference/xtensa-lx7", "reference", ("xtensa-lx7",), shape="cmsis-nn/dsp", simd=False),
    KernelClass("esp-nn/esp32-s3", "esp-nn", ("xtensa-lx7",), shape="cmsis-nn/dsp"),
    # one published point (Arduino Nano 33 BLE, person detection): one scale on the ESP32-S3 reference kernels' shape
    KernelClass("reference/cortex-m", "reference", ("armv6-m", "armv7e-m", "armv8-m.main", "armv8.1-m.main"),
                shape="reference/xtensa-lx7", simd=False, transfer="reference/xtensa-lx7"),
)
# CMSIS-NN has no SIMD path on armv6-m (Cortex-M0/M0+) and no published point was found: reference stands in.
_STAND_INS = {("cmsis-nn", "armv6-m"): "reference/cortex-m"}


def kernel_class(family: str, arch: str) -> tuple[KernelClass, str]:
    """The class whose coefficients estimate ``family`` kernels on ``arch``, and a note when it stands in."""
    if family not in KERNEL_FAMILIES:
        raise BadInputError(f"unknown kernel family '{family}' (known: {', '.join(KERNEL_FAMILIES)})")
    stand_in = _STAND_INS.get((family, arch))
    if stand_in:
        found = next(k for k in KERNEL_CLASSES if k.name == stand_in)
        return found, f"{family} on {arch}: no published measurement; {stand_in} coefficients stand in"
    for k in KERNEL_CLASSES:
        if k.family == family and arch in k.archs:
            return k, ""
    archs = sorted({a for k in KERNEL_CLASSES if k.family == family for a in k.archs})
    raise BadInputError(f"{family} kernels have no cycle model for cpu.arch '{arch}' "
                        f"(modelled: {', '.join(archs)}); pick --kernels reference or fix the descriptor's arch")  # fmt: skip


@dataclass(frozen=True)
class ClassCoefficients:
    """Fitted coefficients of one kernel class, and how well they reproduce the published points."""

    cycles_per_mac: float
    cycles_per_output: float
    macs_per_cycle: float  # the calibration cores' descriptor value: MAC cycles scale by this / the target's
    cycles_per_weight_byte: float = 0.0  # weights used once (OpFeatures.streamed_weight_bytes); fitted where named
    error_summary: str = ""
    fit_max_error: float | None = None
    lobo_max_error: float | None = None  # leave-one-board-out; None with one board
    lomo_max_error: float | None = None  # leave-one-model-out (one-board classes)
    status: str = ""  # CALIBRATION_STATUSES: how far the class's error figures can be trusted
    boards: tuple[str, ...] = ()
    archs: tuple[str, ...] = ()  # cpu.arch of the calibration boards' cores


@dataclass(frozen=True)
class Coefficients:
    classes: Mapping[str, ClassCoefficients]
    cycles_per_byte: float
    cycles_per_op: float
    dtype_factors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # dtype -> {mac, output}


def load_coefficients(path: Path = COEFFICIENTS_FILE) -> Coefficients:
    try:
        data = tomllib.loads(path.read_text())
        fixed = data["assumed"]
        classes = {}
        for name, c in data["class"].items():
            classes[name] = ClassCoefficients(
                float(c["cycles_per_mac"]), float(c["cycles_per_output"]), float(c["macs_per_cycle"]),
                float(c.get("cycles_per_weight_byte", 0.0)), str(c.get("error_summary", "")),
                c.get("fit_max_error"), c.get("lobo_max_error"), c.get("lomo_max_error"), str(c.get("status", "")),
                tuple(c.get("boards", ())), tuple(c.get("archs", ())),
            )  # fmt: skip
        return Coefficients(classes, float(fixed["cycles_per_byte"]), float(fixed["cycles_per_op"]),
                            data.get("dtype", {}))  # fmt: skip
    except (OSError, KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
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
    weight_bytes: int = 0  # constant inputs read, per inference

    @property
    def streamed_weight_bytes(self) -> int:
        """Weight bytes of an op that uses each weight at most once (MACs <= weight bytes: fully connected at
        batch 1), streamed from memory every inference; a convolution reuses its weights per output pixel."""
        return self.weight_bytes if self.macs and self.macs <= self.weight_bytes else 0


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
                                 int(runs), int(oc.weight_bytes) * int(runs)))  # fmt: skip
    return result


def dtype_factor(table: Mapping[str, Mapping[str, float]], key: str, part: str) -> float:
    return float(table.get(key, {}).get(part, 1.0))


def op_cycles(f: OpFeatures, k: Coefficients, c: ClassCoefficients, macs_per_cycle: float) -> float:
    """Estimated cycles of one op with class coefficients ``c`` on a core of ``macs_per_cycle``."""
    dtype = "float32" if f.dtype.startswith("float") else "int8"
    if f.name in MAC_OPS and f.macs:
        mac = c.cycles_per_mac * dtype_factor(k.dtype_factors, dtype, "mac")
        out = c.cycles_per_output * dtype_factor(k.dtype_factors, dtype, "output")
        cycles = mac * f.macs * (c.macs_per_cycle / macs_per_cycle) + out * f.outputs
        cycles += c.cycles_per_weight_byte * f.streamed_weight_bytes
    else:
        cycles = k.cycles_per_byte * f.bytes_moved
    return cycles + k.cycles_per_op * f.runs


@dataclass(frozen=True)
class McuEstimate:
    """Always an estimate: ``estimated`` is part of every serialisation."""

    target: str
    clock_hz: float
    kernels: str
    kernel_class: str
    total_cycles: float
    latency_ms: float
    per_op: tuple[dict[str, Any], ...]
    calibration_error: str
    note: str = ""
    calibration_status: str = ""  # a CALIBRATION_STATUSES key

    def top_ops(self, n: int = TOP_OPS) -> list[dict[str, Any]]:
        """The ``n`` ops with the most estimated cycles, with their share of the total."""
        ranked = sorted(self.per_op, key=lambda op: -op["cycles"])[:n]
        return [dict(op, share=op["cycles"] / self.total_cycles if self.total_cycles else 0.0) for op in ranked]

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimated": True, "method": "per-op cycle model per kernel class, calibrated on published "
            "measurements (docs/MCU_ESTIMATE.md)", "target": self.target, "clock_hz": self.clock_hz,
            "kernels": self.kernels, "kernel_class": self.kernel_class, "total_cycles": self.total_cycles,
            "latency_ms": self.latency_ms, "calibration_status": self.calibration_status,
            "calibration_error": self.calibration_error, "note": self.note,
            "top_ops": self.top_ops(), "per_op": list(self.per_op),
        }  # fmt: skip


def estimate_mcu_latency(
    model: Any, cost: Any, target: Any, *, kernels: str | None = None, coefficients: Coefficients | None = None
) -> McuEstimate:
    """Estimated latency of ``model`` on ``target`` (clock, arch and MACs/cycle from its descriptor) with the
    descriptor's kernel family, or ``kernels`` when given. CMSIS-NN and ESP-NN are integer-only: float ops
    are priced with the reference class of the same core, as TFLM falls back to its reference kernels."""
    k = coefficients or load_coefficients()
    family = kernels or target.runtime.kernels or "reference"
    klass, note = kernel_class(family, target.cpu.arch)
    c = _stored(k, klass)
    clock, core_mpc = float(target.cpu.clock_hz), float(target.cpu.macs_per_cycle)
    mpc = class_macs_per_cycle(klass, c, core_mpc)
    ref_klass = kernel_class("reference", target.cpu.arch)[0] if family != "reference" else klass
    ref = _stored(k, ref_klass)
    per_op, total, float_ops = [], 0.0, 0
    for f in op_features(model, cost):
        if family != "reference" and f.dtype.startswith("float") and f.macs:
            float_ops += 1
            cycles = op_cycles(f, k, ref, class_macs_per_cycle(ref_klass, ref, core_mpc))
        else:
            cycles = op_cycles(f, k, c, mpc)
        total += cycles
        per_op.append({"index": f.index, "op": f.name, "cycles": round(cycles), "ms": cycles / clock * 1e3})
    notes = [n for n in (note, klass.note) if n]
    if float_ops:
        notes.append(f"{float_ops} float op(s) priced as {ref_klass.name} ({family} kernels are integer-only)")
    if c.archs and target.cpu.arch not in c.archs:
        notes.append(f"{klass.name}'s coefficients come from {', '.join(c.archs)} cores, not {target.cpu.arch}: "
                     "not validated on this core")  # fmt: skip
    if mpc != c.macs_per_cycle:
        notes.append(f"MAC term scaled from the calibration cores' {c.macs_per_cycle:g} to this descriptor's {mpc:g} "
                     "MACs/cycle: not fitted on this core (the calibration line names any check of the transfer)")  # fmt: skip
    return McuEstimate(target.name, clock, family, klass.name, total, total / clock * 1e3, tuple(per_op),
                       c.error_summary, "; ".join(notes), c.status)  # fmt: skip


def _stored(k: Coefficients, klass: KernelClass) -> ClassCoefficients:
    c = k.classes.get(klass.name)
    if c is None:
        raise BadInputError(f"{COEFFICIENTS_FILE}: no coefficients for kernel class {klass.name}")
    return c


def class_macs_per_cycle(klass: KernelClass, c: ClassCoefficients, macs_per_cycle: float) -> float:
    """The MACs/cycle the MAC term scales to: the core's for SIMD kernels, the calibration core's for scalar C."""
    return macs_per_cycle if klass.simd else c.macs_per_cycle


def class_named(name: str) -> KernelClass:
    return next(k for k in KERNEL_CLASSES if k.name == name)


def calibration_summary(klass: str = "reference/cortex-m") -> str:
    try:
        return load_coefficients().classes[klass].error_summary
    except (BadInputError, KeyError):
        return ""
