"""The HTML report: self-contained (inline SVG, no http), sections built from each results schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from toolkit.errors import BadInputError
from toolkit.report.compare import compare_models
from toolkit.report.html import load_results, render_html


def _bench_doc(model: str) -> dict:
    return {"schema": "edgetk.bench/1", "target": "host-x86_64", "model": {"path": model},
            "runner": {"latency_ms": {"runs": 6, "min": 1.0, "p50": 1.2, "max": 1.9, "samples": [1.0, 1.1, 1.2, 1.2, 1.3, 1.9]}}}


def test_report_from_compare_check_and_bench(tmp_path: Path, make_model, run_cli) -> None:
    new = make_model("new.tflite", "RELU")
    old = make_model("old.tflite", "TANH", description="TOCO Converted.")
    (tmp_path / "cmp.json").write_text(json.dumps(compare_models(new, old, targets=["host-x86_64"]).to_dict()))
    check = run_cli("check", new, "--target", "cortex-m4", "--json")
    (tmp_path / "check.json").write_text(check.stdout)
    (tmp_path / "bench.json").write_text(json.dumps(_bench_doc(str(new))))
    out = tmp_path / "report.html"
    proc = run_cli("report", tmp_path / "cmp.json", tmp_path / "check.json", tmp_path / "bench.json", "--html", out)
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", page)  # nothing to fetch, not even namespace URLs
    assert not re.search(r"<(script|link|img)\b", page)
    # latency, heat map, cost for two models, new-vs-old bars, op-count bars
    assert page.count("<svg") == 6
    for title in ("Latency distributions per target", "Op support heat map", "Per-op cost breakdown", "New vs old"):
        assert title in page
    assert "TOCO Converted." in page and "regression" in page
    assert "new.tflite @ cortex-m4" in page


def test_unknown_schema_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(BadInputError, match="x.json: unknown results schema"):
        load_results([bad])


def test_failed_old_conversion_renders(make_model) -> None:
    from toolkit.convert.legacy import LegacyFinding, LegacyResult

    failure = LegacyResult(False, "lstm.h5", None, None, "2.17.1",
                           [LegacyFinding("needs-custom-ops", "TOCO cannot convert: needs custom ops StatelessWhile", ["StatelessWhile"])])
    doc = compare_models(make_model("new.tflite"), failure).to_dict()
    doc["_file"] = "cmp.json"
    page = render_html([doc])
    assert "old converter (failed)" in page and "StatelessWhile" in page
