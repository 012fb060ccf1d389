"""compare float vs int8 (MLPerf Tiny-style conv net rebuilt from its published description): quantization-aware
by default, --exact holds outputs to atol/rtol; latency provenance in compare findings and in JUnit."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.report.compare import compare_models, comparison_findings
from toolkit.report.junit import bench_suite, compare_suite, junit_xml
from toolkit.report.latency import LatencyRow
from toolkit.report.verdicts import LatencyStats

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def float_and_int8() -> tuple[Path, Path]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.mlperf_tiny_models import ensure_models

    models = ensure_models(["tiny-float", "tiny-int8"])
    return models["tiny-float"], models["tiny-int8"]


def test_float_vs_int8_is_quantization_aware_automatically(float_and_int8) -> None:
    fp, q = float_and_int8
    cmp = compare_models(q, fp, targets=["host-x86_64"])
    doc = cmp.to_dict()
    assert doc["quantization"]["active"] and doc["quantization"]["requested"] == "auto"
    assert "weights int8 vs float32" in doc["quantization"]["reason"]
    assert cmp.verdict == "pass"  # expected quantization error is drift, not a regression
    [drift] = [f for f in doc["findings"] if f["kind"] == "accuracy-drift"]
    assert drift["severity"] == "warning" and 0 < doc["quantization"]["drift"][0]["max_abs"] < 1
    [size] = [f for f in doc["findings"] if f["kind"] == "size"]
    assert size["severity"] == "improvement" and "x smaller" in size["message"]
    assert doc["quantization"]["size_ratio"] < 1


def test_exact_mode_keeps_the_tolerance_verdict(float_and_int8, run_cli) -> None:
    fp, q = float_and_int8
    exact = compare_models(q, fp, quantized=False)
    assert exact.verdict == "regression" and not exact.quantization["active"]
    assert any(f["kind"] == "numerics" and f["severity"] == "regression" for f in exact.findings)
    proc = run_cli("compare", q, fp, "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["quantization"]["active"], proc.stderr
    assert run_cli("compare", q, fp, "--exact").returncode == 1


def _row(timing: str, estimate: dict | None = None) -> LatencyRow:
    new, old = LatencyStats((2.0, 2.1)), LatencyStats((1.0, 1.1))
    return LatencyRow("t", None, new, old, 1.95, "slower", timing == "emulated", {"new": [2.0], "old": [1.0]}, timing,
                      estimate)


@pytest.mark.parametrize(("timing", "estimate", "severity"), [
    ("measured", None, "regression"),
    ("emulated", None, "warning"),
    ("host-run", None, "warning"),
    ("software-gpu", None, "warning"),
    ("host-run", {"new_ms": 50.0, "old_ms": 40.0}, "regression"),  # an MCU target: the estimate gates
])
def test_only_measured_or_estimated_latency_can_be_a_regression(make_model, timing, estimate, severity) -> None:
    cmp = compare_models(make_model("a.tflite"), make_model("b.tflite"), numerics=False)
    cmp.latency = [_row(timing, estimate)]
    [finding] = [f for f in comparison_findings(cmp) if f["kind"] == "latency"]
    assert finding["severity"] == severity
    assert finding["timing"] == ("estimated" if estimate else timing)
    if severity == "warning":
        assert "relative comparison only" in finding["message"]


def test_junit_carries_the_provenance_of_every_latency(make_model) -> None:
    cmp = compare_models(make_model("a.tflite"), make_model("b.tflite"), targets=["cortex-m4"], numerics=False)
    cmp.latency = [_row("host-run", {"new_ms": 50.0, "old_ms": 40.0})]
    cmp.latency[0].target = "cortex-m4"
    doc = cmp.to_dict()
    root = ET.fromstring(junit_xml([compare_suite(doc)]))
    [case] = [c for c in root.iter("testcase") if c.get("name") == "a.tflite on cortex-m4"]
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert (props["latency_timing"], props["rounds_timing"], props["new_p50_ms"]) == ("estimated", "host-run", "50")

    bench = {"schema": "edgetk.bench/1", "target": "cortex-m4", "transport": "tflm", "model": {"path": "/m/k.tflite"},
             "timing": "host-run", "mcu_estimate": {"latency_ms": 39.8},
             "findings": [{"rule": "arena-exceeds-ram", "severity": "error", "message": "TFLM arena exceeds RAM"}],
             "runner": {"runtime": {"name": "tflm"}, "latency_ms": {"p50": 0.55}}}
    root = ET.fromstring(junit_xml([bench_suite(bench)]))
    [case] = root.iter("testcase")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props == {"p50_ms": "39.8", "timing": "estimated", "runner_timing": "host-run"}
    assert case.find("failure") is not None and "exceeds RAM" in case.find("failure").get("message")


def test_html_summary_of_a_quantized_comparison_shows_drift_not_failure(float_and_int8) -> None:
    from toolkit.report.html import render_html

    fp, q = float_and_int8
    doc = compare_models(q, fp, targets=["host-x86_64"]).to_dict()
    page = render_html([dict(doc, _file="cmp.json")])
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert "(quantization-aware): pass" in summary and "quantization drift: max abs" in summary
    assert 'class="fail"' not in summary and "x smaller" in summary
    exact = compare_models(q, fp, targets=["host-x86_64"], quantized=False).to_dict()
    page = render_html([dict(exact, _file="cmp.json")])
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert 'class="fail"' in summary and "DIFFERS old" in summary


def test_quantization_mode_follows_precision_not_the_number_of_outputs() -> None:
    """A model with one more float output is not a quantized one: the automatic mode compares precisions."""
    from types import SimpleNamespace

    from toolkit.report.quantized import quantization_mode

    def side(io: list[str], weights: str = "float32") -> SimpleNamespace:
        tensors = [SimpleNamespace(dtype=d) for d in io]
        return SimpleNamespace(inputs=tensors[:1], outputs=tensors[1:], weight_dtype=weights)

    more_outputs = quantization_mode(None, side(["float32", "float32"]), side(["float32", "float32", "float32"]))
    assert (more_outputs["active"], more_outputs["reason"]) == (False, "same precision")
    int8_io = quantization_mode(None, side(["int8", "int8"], "int8"), side(["float32", "float32"]))
    assert int8_io["active"] and "I/O dtypes int8/int8 vs float32/float32" in int8_io["reason"], int8_io
