"""The per-op profile in the HTML report and the terminal: bars beside the estimate, provenance, escaping.

The profile comes from benchmark_model's documented output (tests/bench/data/) through the real parser."""

from __future__ import annotations

from pathlib import Path

from toolkit.bench.benchmark_model import parse_benchmark_output, profiler_per_op
from toolkit.bench.per_op import complete_per_op
from toolkit.report.html import render_html
from toolkit.report.per_op_text import per_op_lines

DATA = Path(__file__).parents[1] / "bench" / "data"


def _bench_doc() -> dict:
    parsed = parse_benchmark_output((DATA / "benchmark_model_current.txt").read_text())
    per_op = complete_per_op(profiler_per_op(parsed), parsed["inference_avg_ms"], "measured")
    per_op["ops"][2]["op"] = "CUSTOM(<script>x</script>)"
    return {"schema": "edgetk.bench/1", "_file": "b.json", "model": {"path": "/m/model.tflite"}, "target": "android-arm64",
            "timing": "measured", "runner": {"latency_ms": {"p50": 6.94, "samples": []}}, "per_op": per_op,
            "per_op_estimate": {"estimated": True, "ops": [{"index": 63, "op": "X", "ms": 5.0}]}}


def test_html_shows_the_profile_as_bars_beside_the_estimate_with_its_timing() -> None:
    page = render_html([_bench_doc()])
    assert "Per-op time (bench --per-op), beside the estimated cost split" in page
    assert "p50 ms (measured)" in page and "estimated ms" in page and "<svg" in page
    assert "<td>6.150</td><td>88%</td><td>5.000</td>" in page  # the XNNPACK node with its estimate beside it
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "0.99x the whole-model p50" in page


def test_terminal_summary_says_source_timing_and_the_ratio() -> None:
    lines = per_op_lines(_bench_doc()["per_op"])
    assert lines[0] == "per-op (profiler, measured): 3 ops timed, 0 skipped, 0 failed"
    assert lines[1] == "  sum 6.950 ms vs whole model 6.990 ms: ratio 0.99"
    assert all(len(line) <= 80 for line in lines)


def test_junit_bench_case_carries_the_slowest_op_with_its_provenance() -> None:
    from toolkit.report.junit import bench_suite

    (case,) = bench_suite(_bench_doc()).cases
    assert case.properties["per_op_top"] == "TfLiteXNNPackDelegate #63 6.15 ms"
    assert (case.properties["per_op_source"], case.properties["per_op_timing"]) == ("profiler", "measured")
    assert case.properties["per_op_ratio"] == "0.994"
