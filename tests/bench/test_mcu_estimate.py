"""The MCU latency estimate reproduces its MLPerf Tiny v0.5 calibration within the error it reports."""

from __future__ import annotations

import re

import pytest

from toolkit.bench.mcu_estimate import (
    calibration_summary,
    estimate_mcu_latency,
    fit_coefficients,
    leave_one_out,
    load_coefficients,
    relative_error,
)
from toolkit.targets import load_registry


@pytest.fixture(scope="module")
def samples(tiny_models):
    from benchmarks.mlperf_tiny_models import calibration_samples

    return calibration_samples()


def _reported(kind: str) -> float:
    summary = calibration_summary()
    match = re.search(rf"{kind} max \|error\| ([0-9.]+) %", summary)
    assert match, summary
    return float(match.group(1)) / 100


def test_stored_coefficients_reproduce_calibration_within_reported_error(samples) -> None:
    k = load_coefficients()
    bound = _reported("fit") + 0.005
    errors = {s.name: relative_error(s, k) for s in samples}
    assert all(abs(e) <= bound for e in errors.values()), errors
    assert abs(errors["kws"]) < 0.10 and abs(errors["vww"]) < 0.10


def test_stored_coefficients_are_the_fit(samples) -> None:
    stored = load_coefficients()
    refit = fit_coefficients(samples, stored)
    assert refit.cycles_per_mac == pytest.approx(stored.cycles_per_mac, rel=1e-3)
    assert refit.cycles_per_output == pytest.approx(stored.cycles_per_output, rel=1e-3)


def test_leave_one_out_error_is_what_the_docs_report(samples) -> None:
    loo = leave_one_out(samples, load_coefficients())
    assert max(abs(e) for e in loo.values()) == pytest.approx(_reported("leave-one-out"), abs=0.001)


def test_estimate_scales_with_clock_and_is_labelled(tiny_models) -> None:
    from toolkit.model import load_model
    from toolkit.model.cost import estimate_cost

    reg = load_registry()
    model = load_model(tiny_models["kws"])
    cost = estimate_cost(model)
    m4 = estimate_mcu_latency(model, cost, reg.get("cortex-m4"))
    m7 = estimate_mcu_latency(model, cost, reg.get("cortex-m7"))
    cmsis = estimate_mcu_latency(model, cost, reg.get("cortex-m4"), kernels="cmsis-nn")
    assert m4.to_dict()["estimated"] is True
    assert m4.latency_ms == pytest.approx(181.9, rel=0.10)
    assert m7.latency_ms < m4.latency_ms  # 216 MHz and 1 MAC/cycle vs 120 MHz and 0.5
    assert cmsis.latency_ms < m4.latency_ms / 2
    assert sum(op["cycles"] for op in m4.per_op) == pytest.approx(m4.total_cycles, rel=1e-3)


def test_an_op_in_a_loop_pays_dispatch_and_outputs_per_iteration() -> None:
    """OpFeatures carry totals over the WHILE trip count (the cost model's); dispatch is paid every run."""
    from toolkit.bench.mcu_estimate import OpFeatures, op_cycles

    k = load_coefficients()
    once = OpFeatures(0, "FULLY_CONNECTED", "int8", macs=512, outputs=16, bytes_moved=600)
    hundred = OpFeatures(0, "FULLY_CONNECTED", "int8", macs=51_200, outputs=1_600, bytes_moved=60_000, runs=100)
    assert op_cycles(hundred, k, 0.5, "reference") == pytest.approx(100 * op_cycles(once, k, 0.5, "reference"))
    tanh = OpFeatures(1, "TANH", "int8", macs=0, outputs=1_600, bytes_moved=3_200, runs=100)
    assert op_cycles(tanh, k, 0.5, "reference") == pytest.approx(k.cycles_per_byte * 3_200 + 100 * k.cycles_per_op)
