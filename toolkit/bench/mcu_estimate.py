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
Each class is fitted to published measurements (MLPerf Tiny results, vendor READMEs; see
benchmarks/mlperf_tiny_models.py and docs/MCU_ESTIMATE.md); a class with fewer than three points fits one
scale on the shape of a related class. Coefficients and their errors live in mcu_coefficients.toml.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np

from toolkit.errors import BadInputError

COEFFICIENTS_FILE = Path(__file__).with_name("mcu_coefficients.toml")
KernelFamily = Literal["reference", "cmsis-nn", "esp-nn"]
KERNEL_FAMILIES: tuple[str, ...] = ("reference", "cmsis-nn", "esp-nn")
TOP_OPS = 5  # ops listed in the breakdown (by estimated cycles)
_MAC_OPS = frozenset(
    {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL", "CONV_3D",
     "UNIDIRECTIONAL_SEQUENCE_LSTM", "LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN"}
)  # fmt: skip


@dataclass(frozen=True)
class KernelClass:
    """A kernel family on a core class; ``shape``: the class whose coefficients are scaled when few points."""

    name: str
    family: str
    archs: tuple[str, ...]
    shape: str | None = None
    terms: tuple[str, ...] = ("macs", "outputs")  # fitted terms with three or more points
    simd: bool = True  # MAC cycles scale with the descriptor's macs_per_cycle (reference kernels are scalar C)
    transfer: str | None = None  # no permitted calibration point: this class's coefficients are copied
    note: str = ""


KERNEL_CLASSES: tuple[KernelClass, ...] = (  # ordered: shape and transfer classes come first
    KernelClass("cmsis-nn/dsp", "cmsis-nn", ("armv7e-m", "armv8-m.main")),
    # Helium makes MACs cheap enough that streaming the weights shows (AD: ~1 cycle per weight byte)
    KernelClass("cmsis-nn/mve", "cmsis-nn", ("armv8.1-m.main",), terms=("macs", "outputs", "weight_bytes")),
    KernelClass("reference/xtensa-lx7", "reference", ("xtensa-lx7",), shape="cmsis-nn/dsp", simd=False),
    KernelClass("esp-nn/esp32-s3", "esp-nn", ("xtensa-lx7",), shape="cmsis-nn/dsp"),
    KernelClass("reference/cortex-m", "reference", ("armv6-m", "armv7e-m", "armv8-m.main", "armv8.1-m.main"),
                simd=False, transfer="reference/xtensa-lx7",
                note="no MLPerf Tiny or vendor figure for TFLM reference kernels on a Cortex-M exists (MLPerf Tiny "
                     "v0.5's reference submission was built with CMSIS-NN): the ESP32-S3 reference kernels' cycles "
                     "stand in"),
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
    cycles_per_weight_byte: float = 0.0  # MAC ops' constant inputs (fitted in classes that name the term)
    error_summary: str = ""
    fit_max_error: float | None = None
    lobo_max_error: float | None = None  # leave-one-board-out; None with one board
    lomo_max_error: float | None = None  # leave-one-model-out (one-board classes)
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
                c.get("fit_max_error"), c.get("lobo_max_error"), c.get("lomo_max_error"), tuple(c.get("boards", ())),
                tuple(c.get("archs", ())),
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


def _factor(table: Mapping[str, Mapping[str, float]], key: str, part: str) -> float:
    return float(table.get(key, {}).get(part, 1.0))


def op_cycles(f: OpFeatures, k: Coefficients, c: ClassCoefficients, macs_per_cycle: float) -> float:
    """Estimated cycles of one op with class coefficients ``c`` on a core of ``macs_per_cycle``."""
    dtype = "float32" if f.dtype.startswith("float") else "int8"
    if f.name in _MAC_OPS and f.macs:
        mac = c.cycles_per_mac * _factor(k.dtype_factors, dtype, "mac")
        out = c.cycles_per_output * _factor(k.dtype_factors, dtype, "output")
        cycles = mac * f.macs * (c.macs_per_cycle / macs_per_cycle) + out * f.outputs
        cycles += c.cycles_per_weight_byte * f.weight_bytes
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

    def top_ops(self, n: int = TOP_OPS) -> list[dict[str, Any]]:
        """The ``n`` ops with the most estimated cycles, with their share of the total."""
        ranked = sorted(self.per_op, key=lambda op: -op["cycles"])[:n]
        return [dict(op, share=op["cycles"] / self.total_cycles if self.total_cycles else 0.0) for op in ranked]

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimated": True, "method": "per-op cycle model per kernel class, calibrated on published "
            "measurements (docs/MCU_ESTIMATE.md)", "target": self.target, "clock_hz": self.clock_hz,
            "kernels": self.kernels, "kernel_class": self.kernel_class, "total_cycles": self.total_cycles,
            "latency_ms": self.latency_ms, "calibration_error": self.calibration_error, "note": self.note,
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
    mpc = _class_mpc(klass, c, core_mpc)
    ref_klass = kernel_class("reference", target.cpu.arch)[0] if family != "reference" else klass
    ref = _stored(k, ref_klass)
    per_op, total, float_ops = [], 0.0, 0
    for f in op_features(model, cost):
        if family != "reference" and f.dtype.startswith("float") and f.macs:
            float_ops += 1
            cycles = op_cycles(f, k, ref, _class_mpc(ref_klass, ref, core_mpc))
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
                     "MACs/cycle: not validated on this core")  # fmt: skip
    return McuEstimate(target.name, clock, family, klass.name, total, total / clock * 1e3, tuple(per_op),
                       c.error_summary, "; ".join(notes))  # fmt: skip


def _stored(k: Coefficients, klass: KernelClass) -> ClassCoefficients:
    c = k.classes.get(klass.name)
    if c is None:
        raise BadInputError(f"{COEFFICIENTS_FILE}: no coefficients for kernel class {klass.name}")
    return c


def _class_mpc(klass: KernelClass, c: ClassCoefficients, macs_per_cycle: float) -> float:
    """The MACs/cycle the MAC term scales to: the core's for SIMD kernels, the calibration core's for scalar C."""
    return macs_per_cycle if klass.simd else c.macs_per_cycle


def _klass(name: str) -> KernelClass:
    return next(k for k in KERNEL_CLASSES if k.name == name)


def calibration_summary(klass: str = "reference/cortex-m") -> str:
    try:
        return load_coefficients().classes[klass].error_summary
    except (BadInputError, KeyError):
        return ""


# ---------------------------------------------------------------- calibration
@dataclass(frozen=True)
class CalibrationSample:
    """One published latency: a model on a board (clock, the descriptor of its core) with a kernel class."""

    name: str  # the model
    features: tuple[OpFeatures, ...]
    measured_ms: float
    clock_hz: float
    board: str = ""
    kernel_class: str = "reference/cortex-m"
    macs_per_cycle: float = 0.5
    arch: str = "armv7e-m"


_TERMS = ("macs", "outputs", "weight_bytes")


def _design_row(s: CalibrationSample, k: Coefficients, class_mpc: float) -> tuple[np.ndarray, float, float]:
    """Fitted-term features [MACs scaled to the class core, outputs, weight bytes] of MAC ops, the fixed
    (assumed) cycles, and the measured cycles."""
    x = np.zeros(3)
    fixed = 0.0
    for f in s.features:
        if f.name in _MAC_OPS and f.macs:
            dtype = "float32" if f.dtype.startswith("float") else "int8"
            mpc = s.macs_per_cycle if _klass(s.kernel_class).simd else class_mpc
            x += [f.macs * _factor(k.dtype_factors, dtype, "mac") * class_mpc / mpc,
                  f.outputs * _factor(k.dtype_factors, dtype, "output"), f.weight_bytes]  # fmt: skip
            fixed += k.cycles_per_op * f.runs
        else:
            fixed += k.cycles_per_byte * f.bytes_moved + k.cycles_per_op * f.runs
    return x, fixed, s.measured_ms * 1e-3 * s.clock_hz


def _nonnegative_lstsq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least squares with every coefficient >= 0: the best unconstrained solution over subsets of the
    columns (exact for the three columns used here; cycles per MAC cannot be negative)."""
    best, best_residual = np.zeros(a.shape[1]), math.inf
    for r in range(1, a.shape[1] + 1):
        for cols in itertools.combinations(range(a.shape[1]), r):
            x, *_ = np.linalg.lstsq(a[:, cols], b, rcond=None)
            if (x < 0).any():
                continue
            full = np.zeros(a.shape[1])
            full[list(cols)] = x
            residual = float(np.sum((a @ full - b) ** 2))
            if residual < best_residual:
                best, best_residual = full, residual
    return best


def fit_class(
    samples: Sequence[CalibrationSample], k: Coefficients, class_mpc: float, shape: ClassCoefficients | None = None,
    terms: Sequence[str] = ("macs", "outputs"),
) -> ClassCoefficients:
    """Non-negative least squares on relative error of ``terms`` from three or more points; with fewer
    points, one scale on ``shape``'s coefficients (when the class has a shape class)."""
    rows, rhs = [], []
    for s in samples:
        x, fixed, cycles = _design_row(s, k, class_mpc)
        rows.append(x / cycles)
        rhs.append((cycles - fixed) / cycles)
    a, b = np.array(rows), np.array(rhs)
    if len(samples) >= 3 or shape is None:
        cols = [_TERMS.index(t) for t in terms]
        solution = np.zeros(3)
        solution[cols] = _nonnegative_lstsq(a[:, cols], b)
        return ClassCoefficients(float(solution[0]), float(solution[1]), class_mpc, float(solution[2]))
    base = np.array([shape.cycles_per_mac, shape.cycles_per_output, shape.cycles_per_weight_byte])
    col = a @ base
    scale = float(col @ b / (col @ col))
    return ClassCoefficients(*(scale * base[:2]), class_mpc, scale * base[2])


def relative_error(sample: CalibrationSample, k: Coefficients, c: ClassCoefficients | None = None) -> float:
    """(estimated - measured) / measured for one sample (``c``: its class's stored coefficients by default)."""
    c = c or k.classes[sample.kernel_class]
    mpc = _class_mpc(_klass(sample.kernel_class), c, sample.macs_per_cycle)
    cycles = sum(op_cycles(f, k, c, mpc) for f in sample.features)
    return cycles / sample.clock_hz * 1e3 / sample.measured_ms - 1.0


@dataclass(frozen=True)
class ClassFit:
    name: str
    coefficients: ClassCoefficients
    fit: dict[tuple[str, str], float]  # (board, model) -> relative error
    held_out: dict[tuple[str, str], float]  # leave-one-board-out, or leave-one-model-out with one board
    held_out_kind: str  # "board" | "model" | "none"
    validation: dict[tuple[str, str], float] = field(default_factory=dict)  # points never fitted
    transferred_from: str | None = None  # no calibration point: the coefficients of this class


def _held_out(
    mine: Sequence[CalibrationSample], k: Coefficients, refit: Callable[[Sequence[CalibrationSample]], ClassCoefficients]
) -> tuple[str, dict[tuple[str, str], float]]:
    """Each board held out in turn (two or more boards), else each model, when the rest can still be fitted."""
    boards = sorted({s.board for s in mine})
    held: dict[tuple[str, str], float] = {}
    if len(boards) > 1:
        for board in boards:
            rest = refit([s for s in mine if s.board != board])
            held.update({(s.board, s.name): relative_error(s, k, rest) for s in mine if s.board == board})
        return "board", held
    if len(mine) < 2:
        return "none", held
    for s in mine:
        held[(s.board, s.name)] = relative_error(s, k, refit([o for o in mine if o is not s]))
    return "model", held


def fit_all(
    samples: Sequence[CalibrationSample], k: Coefficients, validation: Sequence[CalibrationSample] = ()
) -> dict[str, ClassFit]:
    """Fit every class that has samples (shape and transfer classes first), hold each board (or model) out in
    turn, and score the ``validation`` samples (never fitted) with the final coefficients."""
    fits: dict[str, ClassFit] = {}
    for klass in KERNEL_CLASSES:
        mine = [s for s in samples if s.kernel_class == klass.name]
        if not mine and klass.transfer in fits:
            c, fit, kind, held = fits[klass.transfer].coefficients, {}, "none", {}
        elif mine:
            class_mpc = min(s.macs_per_cycle for s in mine)
            shape = fits[klass.shape].coefficients if klass.shape in fits else None
            refit = partial(fit_class, k=k, class_mpc=class_mpc, shape=shape, terms=klass.terms)
            c = refit(mine)
            kind, held = _held_out(mine, k, refit)
            c = replace(c, boards=tuple(sorted({s.board for s in mine})), archs=tuple(sorted({s.arch for s in mine})))
            fit = {(s.board, s.name): relative_error(s, k, c) for s in mine}
        else:
            continue
        checked = {(s.board, s.name): relative_error(s, k, c) for s in validation if s.kernel_class == klass.name}
        fits[klass.name] = ClassFit(klass.name, c, fit, held, kind, checked, klass.transfer if not mine else None)
    return fits


def summarise(fit: ClassFit) -> str:
    """The one-line error statement every estimate of this class carries."""
    boards = fit.coefficients.boards
    if fit.transferred_from:
        text = f"no calibration point: {fit.transferred_from} coefficients ({', '.join(boards)}), not validated"
        if fit.validation:
            where = ", ".join(sorted({board for board, _ in fit.validation}))
            text += f"; checked on {where} (never fitted) max |error| {max(map(abs, fit.validation.values())):.1%}"
        return text.replace("%", " %")
    worst = max(map(abs, fit.fit.values()))
    n = len(fit.fit)
    text = (f"fit max |error| {worst:.1%} ({n} point{'s' * (n > 1)}, {len(boards)} board{'s' * (len(boards) > 1)}: "
            f"{', '.join(boards)})")  # fmt: skip
    if fit.held_out_kind == "board":
        text += f", leave-one-board-out max |error| {max(map(abs, fit.held_out.values())):.1%}"
    elif fit.held_out_kind == "model":
        text += (f"; one board: no leave-one-board-out, leave-one-model-out max |error| "
                 f"{max(map(abs, fit.held_out.values())):.1%}")  # fmt: skip
    else:
        text += "; one point: exact by construction, no held-out error"
    if fit.validation:
        where = ", ".join(sorted({board for board, _ in fit.validation}))
        text += f"; validation on {where} (never fitted) max |error| {max(map(abs, fit.validation.values())):.1%}"
    return text.replace("%", " %")
