"""Fitting the MCU cycle model (toolkit.bench.mcu_estimate) to published latencies, and how well it fits.

Per kernel class: non-negative least squares on relative error of the class's terms, or of one scale on a
shape class's coefficients plus the class's extra terms, or a copy of a transfer class's (no point). Each board is held
out in turn (two or more boards), else each model; validation points are scored but never fitted.
``python -m benchmarks.mlperf_tiny_models --calibrate [--write]`` runs it on benchmarks/mcu_published.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from toolkit.bench.mcu_estimate import (
    KERNEL_CLASSES,
    MAC_OPS,
    ClassCoefficients,
    Coefficients,
    OpFeatures,
    class_macs_per_cycle,
    class_named,
    dtype_factor,
    op_cycles,
)


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
    """Fitted-term features [MACs scaled to the class core, outputs, weight bytes used once] of MAC ops, the
    fixed (assumed) cycles, and the measured cycles."""
    x = np.zeros(3)
    fixed = 0.0
    for f in s.features:
        if f.name in MAC_OPS and f.macs:
            dtype = "float32" if f.dtype.startswith("float") else "int8"
            mpc = s.macs_per_cycle if class_named(s.kernel_class).simd else class_mpc
            x += [f.macs * dtype_factor(k.dtype_factors, dtype, "mac") * class_mpc / mpc,
                  f.outputs * dtype_factor(k.dtype_factors, dtype, "output"), f.streamed_weight_bytes]  # fmt: skip
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
    terms: Sequence[str] = ("macs", "outputs"), extra_terms: Sequence[str] = (),
) -> ClassCoefficients:
    """Non-negative least squares on relative error: of ``terms`` (no ``shape``), or of one scale on
    ``shape``'s coefficients and ``extra_terms``."""
    rows, rhs = [], []
    for s in samples:
        x, fixed, cycles = _design_row(s, k, class_mpc)
        rows.append(x / cycles)
        rhs.append((cycles - fixed) / cycles)
    a, b = np.array(rows), np.array(rhs)
    solution = np.zeros(3)
    if shape is None:
        cols = [_TERMS.index(t) for t in terms]
        solution[cols] = _nonnegative_lstsq(a[:, cols], b)
    else:
        base = np.array([shape.cycles_per_mac, shape.cycles_per_output, shape.cycles_per_weight_byte])
        cols = [_TERMS.index(t) for t in extra_terms]
        x = _nonnegative_lstsq(np.column_stack([a @ base, a[:, cols]]), b)
        solution = x[0] * base
        solution[cols] += x[1:]
    return ClassCoefficients(float(solution[0]), float(solution[1]), class_mpc, float(solution[2]))


def relative_error(sample: CalibrationSample, k: Coefficients, c: ClassCoefficients | None = None) -> float:
    """(estimated - measured) / measured for one sample (``c``: its class's stored coefficients by default)."""
    c = c or k.classes[sample.kernel_class]
    mpc = class_macs_per_cycle(class_named(sample.kernel_class), c, sample.macs_per_cycle)
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
    on_other_cores: frozenset[tuple[str, str]] = frozenset()  # validation keys on a core the fit never saw


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
            c, fit, kind, held = replace(fits[klass.transfer].coefficients, status="transfer"), {}, "none", {}
        elif mine:
            class_mpc = min(s.macs_per_cycle for s in mine)
            shape = fits[klass.shape].coefficients if klass.shape in fits else None
            if shape is not None and class_named(klass.shape).simd:  # its cycles per MAC on this class's core
                shape = replace(shape, cycles_per_mac=shape.cycles_per_mac * shape.macs_per_cycle / class_mpc)
            refit = partial(fit_class, k=k, class_mpc=class_mpc, shape=shape, terms=klass.terms,
                            extra_terms=klass.extra_terms)  # fmt: skip
            c = refit(mine)
            kind, held = _held_out(mine, k, refit)
            boards = tuple(sorted({s.board for s in mine}))
            c = replace(c, boards=boards, archs=tuple(sorted({s.arch for s in mine})),
                        status="calibrated" if len(boards) > 1 else "single-board")  # fmt: skip
            fit = {(s.board, s.name): relative_error(s, k, c) for s in mine}
        else:
            continue
        theirs = [s for s in validation if s.kernel_class == klass.name]
        checked = {(s.board, s.name): relative_error(s, k, c) for s in theirs}
        other = frozenset((s.board, s.name) for s in theirs if _other_core(s, klass, c))
        fits[klass.name] = ClassFit(klass.name, c, fit, held, kind, checked, klass.transfer if not mine else None, other)
    return fits


def _other_core(s: CalibrationSample, klass, c: ClassCoefficients) -> bool:
    """Whether ``s`` ran on a core unlike the class's calibration cores: another arch, or (SIMD kernels) another
    MACs/cycle, so its MAC term was scaled, a transfer the fit never saw."""
    return (bool(c.archs) and s.arch not in c.archs) or (klass.simd and s.macs_per_cycle != c.macs_per_cycle)


def _validation_text(fit: ClassFit) -> str:
    """The validation clauses of the error line: points on the fitted cores first, then those on other cores."""
    text = ""
    for other in (False, True):
        errors = {key: e for key, e in fit.validation.items() if (key in fit.on_other_cores) == other}
        if errors:
            where = ", ".join(sorted({board for board, _ in errors}))
            lead = "; transfer to other cores checked on" if other else "; validation on"
            text += f"{lead} {where} (never fitted) max |error| {max(map(abs, errors.values())):.1%}"
    return text


def summarise(fit: ClassFit) -> str:
    """The one-line error statement every estimate of this class carries, led by its calibration status
    (toolkit.bench.mcu_estimate.CALIBRATION_STATUSES): only a class fitted on two or more boards has a
    held-out error."""
    boards = fit.coefficients.boards
    checked = _validation_text(fit)
    if fit.transferred_from:
        text = (f"transfer, not validated: no calibration point, {fit.transferred_from} coefficients "
                f"({', '.join(boards)})")  # fmt: skip
        return (text + checked).replace("%", " %")
    worst = max(map(abs, fit.fit.values()))
    n = len(fit.fit)
    if fit.held_out_kind == "board":
        text = (f"calibrated: fit max |error| {worst:.1%} ({n} points, {len(boards)} boards: {', '.join(boards)}), "
                f"leave-one-board-out max |error| {max(map(abs, fit.held_out.values())):.1%}")  # fmt: skip
    else:
        text = (f"single board, not validated: calibrated on one board ({boards[0]}), leave-one-board-out error "
                f"not computable; fit max |error| {worst:.1%} ({n} point{'s' * (n > 1)}")  # fmt: skip
        if fit.held_out_kind == "model":
            text += f"), leave-one-model-out max |error| {max(map(abs, fit.held_out.values())):.1%}"
        else:
            text += ": exact by construction)"
    return (text + checked).replace("%", " %")
