"""compare_models on real small .tflite models (built without TF) run through LiteRT in a child process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toolkit.convert.legacy import LegacyFinding, LegacyResult
from toolkit.errors import ExitCode
from toolkit.report.compare import COMPARE_SCHEMA, compare_models


def test_same_graph_different_producer_passes(make_model) -> None:
    new = make_model("new.tflite", "RELU", description="MLIR Converted.")
    old = make_model("old.tflite", "RELU", description="TOCO Converted.")
    cmp = compare_models(new, old, targets=["host-x86_64"])
    assert cmp.verdict == "pass" and cmp.exit_code == ExitCode.OK
    assert cmp.ops.added == [] and cmp.ops.removed == []
    assert cmp.numerics.new_status == "ok" and cmp.numerics.old_status == "ok"
    assert cmp.numerics.worst("old").max_abs == 0.0
    assert any(f["kind"] == "producer" and "TOCO Converted." in f["message"] for f in cmp.findings)
    assert [(t.target, t.new_verdict, t.old_verdict, t.change) for t in cmp.targets] == [
        ("host-x86_64", "runs", "runs", "unchanged")]


def test_different_math_is_a_numerics_regression(make_model) -> None:
    new = make_model("new.tflite", "RELU")
    old = make_model("old.tflite", "TANH")
    cmp = compare_models(new, old)
    assert cmp.ops.added == ["RELU"] and cmp.ops.removed == ["TANH"]
    worst = cmp.numerics.worst("old")
    assert worst.max_abs > 0.1 and not worst.within
    assert cmp.verdict == "regression" and cmp.exit_code == ExitCode.VERDICT_FAILED
    assert [f["kind"] for f in cmp.findings if f["severity"] == "regression"] == ["numerics"]


def test_compare_text_says_its_verdict_first_and_where_each_figure_came_from(make_model) -> None:
    """At 80 columns the verdict was only the last line; MACs (the cost model's) and the numerics run (LiteRT on
    this host) said no provenance."""
    from rich.console import Console

    from toolkit.report.terminal import render_comparison

    cmp = compare_models(make_model("new.tflite", "RELU"), make_model("old.tflite", "TANH"))
    console = Console(record=True, width=80)
    render_comparison(cmp.to_dict(), console)
    lines = console.export_text().splitlines()
    assert lines[0] == "new.tflite vs old.tflite: regression (1 regression, 1 info)", lines[0]
    assert lines[-1] == "verdict: regression"
    text = " ".join(" ".join(lines).split())
    assert "│ MACs (estimated) │ 0 │ 0 │" in text
    assert "numerics vs old (host-run: LiteRT on this host): max abs" in text


def test_a_ratio_beyond_the_threshold_that_is_no_verdict_says_why(make_model) -> None:
    """compare --bench on two 5 µs wake-word models printed 'x1.14 | same' under a 10 % threshold, unexplained."""
    from rich.console import Console

    from toolkit.report.terminal import render_comparison

    doc = compare_models(make_model("new.tflite", "RELU"), make_model("old.tflite", "RELU"), numerics=False).to_dict()
    rounds = {"new": [0.004907, 0.004637], "old": [0.004457, 0.003946]}
    doc["latency"] = [{"target": "host-x86_64", "timing": "measured", "ratio": 1.136, "verdict": "same",
                       **{side: {"min_ms": min(r), "median_ms": sum(r) / 2, "max_ms": max(r), "rounds_ms": r}
                          for side, r in rounds.items()}}]
    console = Console(record=True, width=80)
    render_comparison(doc, console)
    text = " ".join(console.export_text().split())
    assert "│ x1.14 │ same* │" in text
    assert "*: beyond the 10% threshold but not a verdict" in text and "less than 0.01 ms (timing noise)" in text


def test_tolerance_decides_small_shifts(make_model) -> None:
    new = make_model("new.tflite", add_const=1e-3)
    old = make_model("old.tflite", add_const=0.0)
    strict = compare_models(new, old, atol=1e-4, rtol=0.0)
    assert abs(strict.numerics.worst("old").max_abs - 1e-3) < 1e-6
    assert strict.verdict == "regression"
    assert compare_models(new, old, atol=1e-2, rtol=0.0).verdict == "pass"


def test_new_flex_op_where_old_ran_is_a_support_regression(tmp_path: Path, make_model) -> None:
    from toolkit.model.builder import flex_op_model

    new = tmp_path / "flex.tflite"
    new.write_bytes(flex_op_model("Cumprod"))
    old = make_model("old.tflite", "RELU")
    cmp = compare_models(new, old, targets=["host-x86_64", "cortex-m4"])
    assert cmp.new.flex_ops == ["FlexCumprod"]
    changes = {t.target: (t.new_verdict, t.old_verdict, t.change) for t in cmp.targets}
    assert changes == {"host-x86_64": ("does-not-run", "runs", "regression"),
                       "cortex-m4": ("does-not-run", "runs", "regression")}
    assert cmp.targets[0].new_unsupported == ["FlexCumprod"]
    assert cmp.numerics.new_status != "ok"  # the interpreter refused it: a warning, not a crash
    assert cmp.verdict == "regression"


def test_failed_old_conversion_is_a_finding(make_model) -> None:
    new = make_model("new.tflite", "RELU")
    failure = LegacyResult(ok=False, source="lstm.h5", output=None, producer=None, tf_version="2.17.1", findings=[
        LegacyFinding("needs-custom-ops", "TOCO cannot convert: needs custom ops StatelessWhile, TensorListStack",
                      ["StatelessWhile", "TensorListStack"])])
    cmp = compare_models(new, failure, targets=["host-x86_64"])
    assert cmp.old is None and cmp.ops is None
    assert cmp.old_failure["ops"] == ["StatelessWhile", "TensorListStack"]
    assert cmp.targets[0].old_verdict == "not-converted" and cmp.targets[0].change == "improvement"
    assert cmp.verdict == "pass"
    kinds = [f["kind"] for f in cmp.findings]
    assert "old-conversion-failed" in kinds


def test_reference_outputs_are_checked(tmp_path: Path, make_model) -> None:
    new = make_model("new.tflite", "RELU")
    old = make_model("old.tflite", "RELU")
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
    ref = tmp_path / "ref.npz"
    np.savez(ref, input_0=x, output_0=np.maximum(x, 0) + 0.5)  # a reference the models do not match
    cmp = compare_models(new, old, reference=ref)
    assert abs(cmp.numerics.worst("reference").max_abs - 0.5) < 1e-6
    assert cmp.numerics.worst("old").max_abs == 0.0
    assert cmp.verdict == "regression"


def test_json_document_fields(make_model) -> None:
    cmp = compare_models(make_model("a.tflite", "RELU"), make_model("b.tflite", "RELU"), targets=["host-x86_64"])
    doc = json.loads(json.dumps(cmp.to_dict()))
    assert doc["schema"] == COMPARE_SCHEMA == "edgetk.compare/1"
    assert set(doc) >= {"verdict", "threshold", "new", "old", "old_failure", "ops", "targets", "numerics", "latency", "findings"}
    assert doc["new"]["op_counts"] == {"RELU": 1} and doc["new"]["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 8]}]
    assert doc["numerics"]["max_abs_vs_old"] == 0.0 and doc["numerics"]["seed"] == 0


def test_cli_exit_code_json_and_junit(run_cli, tmp_path: Path, make_model) -> None:
    new = make_model("new.tflite", "RELU")
    old = make_model("old.tflite", "TANH")
    junit = tmp_path / "compare.xml"
    proc = run_cli("compare", new, old, "--target", "host-x86_64", "--json", "--junit", junit)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "regression"
    import xml.etree.ElementTree as ET

    root = ET.parse(junit).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"
    failing = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failing == ["new.tflite numerics"]
    page = tmp_path / "compare.html"
    same = run_cli("compare", new, "--baseline", new, "--html", page)
    assert same.returncode == 0, same.stderr
    assert "verdict: pass" in same.stdout
    assert page.read_text().count("<svg") == 3  # one cost plot (same file both sides), new-vs-old bars, op counts
    both = run_cli("compare", new, old, "--baseline", old)
    assert both.returncode == 2 and "exactly one of" in both.stderr


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_bench_interleaves_rounds_on_the_host(make_model) -> None:
    """Real local bench through toolkit.bench; asserts the bookkeeping, not timings (no timing assertions)."""
    from toolkit.report.latency import BenchPlan

    new = make_model("new.tflite", "RELU")
    old = make_model("old.tflite", "TANH")
    cmp = compare_models(new, old, targets=["host-x86_64"], bench=BenchPlan(rounds=2, runs=3, warmup=1), numerics=False)
    [row] = cmp.latency
    assert row.target == "host-x86_64" and not row.emulated
    assert len(row.new.rounds_ms) == len(row.old.rounds_ms) == 2
    assert all(v > 0 for v in row.new.rounds_ms + row.old.rounds_ms)
    assert row.ratio == row.new.median / row.old.median
    assert row.verdict in {"same", "slower", "faster"}
    assert cmp.to_dict()["latency"][0]["new"]["rounds_ms"] == list(row.new.rounds_ms)
    # every latency says where it came from: the host target's own timing is measured, every run kept
    assert (row.timing, row.verdict_timing, row.estimate) == ("measured", "measured", None)
    assert len(row.samples["new"]) == len(row.samples["old"]) == 2 * 3
    from rich.console import Console

    from toolkit.report.terminal import render_comparison

    console = Console(record=True, width=80)
    render_comparison(cmp.to_dict(), console)
    lines = [ln for ln in console.export_text().splitlines() if ln.startswith("│ host-x86_64")]
    assert len(lines) == 2 and "│ measured" in lines[1]  # op support row, then the latency row
