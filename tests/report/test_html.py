"""The HTML report: self-contained (inline SVG, no http), sections built from each results schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from toolkit.errors import BadInputError
from toolkit.report.compare import compare_models
from toolkit.report.html import render_html
from toolkit.report.inputs import load_results


def _bench_doc(model: str) -> dict:
    return {"schema": "edgetk.bench/1", "target": "host-x86_64", "model": {"path": model},
            "runner": {"latency_ms": {"runs": 6, "min": 1.0, "p50": 1.2, "max": 1.9, "samples": [1.0, 1.1, 1.2, 1.2, 1.3, 1.9]}}}


def _real_bench_doc(model: str) -> dict:
    """A real `bench --json` document (LiteRT here, 6 runs) with the figures of ``_bench_doc`` put in, so the
    page's figures are known: `report` validates whole documents, a partial one no longer loads."""
    from toolkit.bench import BenchOptions, bench_model
    from toolkit.targets import load_registry

    doc = json.loads(json.dumps(bench_model(model, load_registry().get("host-x86_64"),
                                            options=BenchOptions(runs=6, warmup=0)).to_dict()))
    doc["runner"]["latency_ms"].update(_bench_doc(model)["runner"]["latency_ms"])
    doc["headline"]["p50_ms"] = 1.2
    return doc


def test_report_from_compare_check_and_bench(tmp_path: Path, make_model, run_cli) -> None:
    new = make_model("new.tflite", "RELU")
    old = make_model("old.tflite", "TANH", description="TOCO Converted.")
    (tmp_path / "cmp.json").write_text(json.dumps(compare_models(new, old, targets=["host-x86_64"]).to_dict()))
    check = run_cli("check", new, "--target", "cortex-m4", "--json")
    (tmp_path / "check.json").write_text(check.stdout)
    (tmp_path / "bench.json").write_text(json.dumps(_real_bench_doc(str(new))))  # deliberately real (validated)
    out = tmp_path / "report.html"
    proc = run_cli("report", tmp_path / "cmp.json", tmp_path / "check.json", tmp_path / "bench.json", "--html", out)
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", page)  # nothing to fetch, not even namespace URLs
    assert not re.search(r"<(script|link|img)\b", page)
    # latency, heat map, cost for two models, new-vs-old bars, op-count bars
    assert page.count("<svg") == 6
    # titles changed deliberately: latency is split by provenance (issue 14), the summary comes first
    for title in ("Latency per target (measured", "Op support heat map", "Per-op cost breakdown", "New vs old"):
        assert title in page
    assert "TOCO Converted." in page and "regression" in page
    assert "new.tflite @ cortex-m4" in page
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Details</h2>") < page.index("Latency per target")
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert "1.2 ms (measured)" in summary and "runs (predicted)" in summary
    assert "document-" not in page and "Relative comparisons only" not in page


def test_unknown_schema_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(BadInputError, match="x.json: unknown results schema"):
        load_results([bad])


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_failed_old_conversion_renders(make_model) -> None:
    from toolkit.convert.legacy import LegacyFinding, LegacyResult

    failure = LegacyResult(False, "lstm.h5", None, None, "2.17.1",
                           [LegacyFinding("needs-custom-ops", "TOCO cannot convert: needs custom ops StatelessWhile", ["StatelessWhile"])])
    doc = compare_models(make_model("new.tflite"), failure).to_dict()
    doc["_file"] = "cmp.json"
    page = render_html([doc])
    assert "old converter (failed)" in page and "StatelessWhile" in page


def _mcu_bench(model: str) -> dict:
    """A TFLM bench of an MCU target as `bench --json` writes it: host-run samples, the estimate as headline."""
    return {"schema": "edgetk.bench/1", "target": "cortex-m4", "transport": "tflm", "emulated": False,
            "timing": "host-run", "model": {"path": model}, "findings": [],
            "headline": {"p50_ms": 39.8, "timing": "estimated", "source": "mcu_estimate"},
            "mcu_estimate": {"latency_ms": 39.8, "timing": "estimated", "target": "cortex-m4", "clock_hz": 120e6,
                             "kernels": "reference", "calibration_error": "fit max |error| 22.0 %"},
            "runner": {"runtime": {"name": "tflm"}, "arena": {"total_bytes": 24208},
                       "latency_ms": {"runs": 5, "min": 0.5, "p50": 0.55, "max": 0.7,
                                      "samples": [0.5, 0.52, 0.55, 0.6, 0.7], "timing": "host-run"}}}


def test_mcu_latency_is_the_estimate_and_host_tflm_time_is_relative_only(make_model) -> None:
    """The issue's page said "tiny_int8.tflite @ cortex-m4: 0.55 ms" — TFLM on x86 — as the MCU's latency."""
    doc = dict(_mcu_bench(str(make_model("tiny.tflite", "RELU"))), _file="bench.json")
    page = render_html([doc])
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert "39.8 ms (estimated)" in summary and "0.55" not in summary
    assert "arena 24 KiB of 640 KiB RAM (4%) (host-run)" in summary  # TFLM ran on this host (was "measured")
    measured = page[page.index("Latency per target"):page.index("Relative comparisons only")]
    assert "<td>tiny.tflite @ cortex-m4</td><td>estimated</td>" in measured and "39.8" in measured
    assert "host-run" not in measured.split("<table>")[-1]  # the measured/estimated table has no host-run row
    relative = page[page.index("Relative comparisons only"):]
    assert "tiny.tflite @ cortex-m4" in relative and "host-run" in relative and "0.55" in relative


def test_old_documents_without_timing_get_the_provenance_of_their_transport(make_model) -> None:
    """A bench document from before `timing` existed: qemu timing stays emulated, never "measured"."""
    doc = {"schema": "edgetk.bench/1", "target": "rpi4-arm64", "transport": "emulator", "emulated": True,
           "model": {"path": str(make_model("m.tflite", "RELU"))}, "_file": "old.json",
           "runner": {"latency_ms": {"runs": 3, "min": 2.0, "p50": 2.17, "max": 2.5}}}
    page = render_html([doc])
    assert "Latency per target" not in page
    relative = page[page.index("Relative comparisons only"):]
    assert "emulated" in relative and "none stored" in relative  # no samples: table only, no fake box plot
    assert "2.17 ms (emulated, relative only)" in page


def test_heat_map_marks_a_model_that_does_not_fit_the_ram(make_model) -> None:
    check = {"schema": "edgetk.check/1", "model": {"path": str(make_model("big.tflite", "RELU"))}, "_file": "c.json",
             "all_run": False, "results": [{"target": "cortex-m7", "verdict": "does-not-run", "findings": [
                 {"rule": "arena_over_ram", "severity": "error",
                  "message": "the arena needs 400000 bytes but cortex-m7 has 327680 bytes of RAM."}]}]}
    page = render_html([check])
    heat = page[page.index("Op support heat map"):]
    assert "(fits RAM / flash)" in heat and "big.tflite @ cortex-m7 (does not fit)" in heat
    assert "<td>(fits RAM / flash)</td><td>does not run</td>" in heat
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert 'class="fail"' in summary and "327680 bytes of RAM" in summary


def test_a_verified_check_is_not_called_predicted_and_a_wrong_prediction_is_loud(make_model) -> None:
    """`check --verify --json` then `report --html`: the summary said "runs (predicted)" for what a runtime had
    just run, and "does-not-run (predicted)" for a verdict the tries had turned over, without PREDICTION WRONG."""
    from toolkit.model import load_model
    from toolkit.targets import check_model

    model = load_model(make_model("v.tflite", "RELU"))
    doc = json.loads(json.dumps(check_model(model, ["cortex-m4", "host-x86_64"]).to_dict()))
    m4, host = doc["results"]
    m4.update(evidence="verified", predicted_verdict="runs", prediction_wrong=False, arena_measured_bytes=20432,
              arena_source="host-run")  # what verify_report puts in after a TFLM try on this host
    host.update(verdict="does-not-run", evidence="verified", predicted_verdict="runs", prediction_wrong=True,
                findings=[{"rule": "arena_over_ram", "severity": "error", "message": "static: arena too big"},
                          {"rule": "verified_does_not_run", "severity": "error", "message": "LiteRT: Failed to resize"}])
    page = render_html([dict(doc, _file="check.json")])
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert "(predicted)" not in summary
    assert "runs (verified here)" in summary and "arena 20 KiB of 640 KiB RAM (3%) (host-run)" in summary
    assert "does-not-run (verified here) — PREDICTION WRONG: check predicted runs" in summary
    assert "LiteRT: Failed to resize" in summary and "static: arena too big" not in summary  # the run's words
    assert "Per-op cost breakdown (top 12 ops by MACs, estimated by the static cost model)" in page
    heat = page[page.index("Op support heat map"):]
    assert "Per-op cells are predicted from the measured op tables" in heat  # the cells' provenance


def test_a_software_gpu_bench_row_says_its_numerics_and_what_stayed_on_the_cpu(make_model) -> None:
    """`bench alexa.tflite -t android-arm64 --accelerator gpu --json` then `report --html`: the summary's numerics
    cell was "-" beside a GPU-vs-CPU comparison the document holds, and a partial GPU run read as plain "runs"."""
    doc = {"schema": "edgetk.bench/1", "target": "android-arm64", "transport": "local", "timing": "software-gpu",
           "model": {"path": str(make_model("kws.tflite", "RELU"))}, "findings": [], "_file": "gpu.json",
           "headline": {"p50_ms": 3.19, "timing": "software-gpu", "source": "runner"},
           "runner": {"runtime": {"name": "litert-gpu"}, "provenance": "software-gpu",
                      "latency_ms": {"runs": 3, "min": 2.8, "p50": 3.19, "max": 4.05, "samples": [2.8, 3.19, 4.05]},
                      "accelerator": {"coverage": "partial", "ops_on_cpu": ["CALL_ONCE", "VAR_HANDLE"],
                                      "numerics_passed": True}}}
    page = render_html([doc])
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Details</h2>")]
    assert "GPU vs LiteRT CPU within tolerance (software-gpu)" in summary
    assert "GPU partial: CALL_ONCE, VAR_HANDLE on the CPU (software-gpu)" in summary
    assert "3.19 ms (software-gpu, relative only)" in summary
