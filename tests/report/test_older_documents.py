"""Documents an older edgetk wrote at the same schema version (/1) still load in `report`, and what they did not
record is said: a latency without recorded provenance is "unknown (written by an older edgetk)", never
"measured" -- only what the document's own fields make relative-only (TFLM on this host: host-run) is kept
(tests/report/older/README.md: written by edgetk 75006d2 on microWakeWord models)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.report.bench_text import render
from toolkit.report.html import render_html
from toolkit.report.inputs import load_results
from toolkit.report.junit import junit_xml, report_suites

OLDER = Path(__file__).parent / "older"
FILES = sorted(OLDER.glob("*.json"))


def test_the_fixtures_are_the_older_documents() -> None:
    assert [f.name for f in FILES] == ["bench-host.json", "bench-m4.json", "check.json", "compare-bench.json",
                                       "compare.json", "convert.json"]
    for path in FILES:
        text = path.read_text()
        assert '"headline"' not in text and '"verdict_timing"' not in text and '"numerics_verdict"' not in text


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_an_older_document_loads(path: Path) -> None:
    [doc] = load_results([path])
    assert doc["schema"].endswith("/1")


def test_bench_provenance_not_recorded_is_unknown_not_measured() -> None:
    host, m4 = load_results([OLDER / "bench-host.json", OLDER / "bench-m4.json"])
    assert host["timing"] == "unknown" and host["headline"]["timing"] == "unknown"
    assert host["headline"]["p50_ms"] == host["runner"]["latency_ms"]["p50"]
    assert "older edgetk" in host["headline"]["note"] and "its note: measured" in host["headline"]["note"]
    assert host["_unrecorded"] == ["headline", "timing"]
    # the MCU estimate says "estimated": true itself; its transport "tflm" makes the runner's time host-run
    assert m4["headline"]["timing"] == "estimated" and m4["headline"]["source"] == "mcu_estimate"
    assert m4["timing"] == "host-run" and m4["mcu_estimate"]["timing"] == "estimated"


def test_compare_latency_rows_without_timing_are_unknown() -> None:
    [doc] = load_results([OLDER / "compare-bench.json"])
    timings = {row["target"]: (row["timing"], row["verdict_timing"]) for row in doc["latency"]}
    assert timings == {"host-x86_64": ("unknown", "unknown"), "cortex-m4": ("host-run", "host-run")}


def test_terminal_says_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    for doc in load_results([OLDER / "bench-host.json", OLDER / "bench-m4.json"]):
        render(doc)
    out = capsys.readouterr().out
    assert "latency p50 0.002 ms (unknown (written by an older edgetk))" in out
    assert "latency p50 2.872 ms (estimated by the MCU cycle model)" in out
    assert "measured on the device" not in out


def test_html_says_what_was_not_recorded() -> None:
    page = render_html(load_results(FILES))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "edgetk.bench/1 (written by an older edgetk: headline, timing not recorded)" in text
    assert "unknown: written by an older edgetk" in text
    assert re.search(r"alexa\.tflite @ host-x86_64 unknown 0\.001943", text)
    assert "alexa.tflite @ host-x86_64 measured" not in text
    assert re.search(r"host-x86_64 runs \(benchmarked\); vs old: unchanged - 0\.00303 ms \(unknown", text)


def test_junit_carries_unknown_provenance() -> None:
    docs = load_results(FILES)
    root = ET.fromstring(junit_xml(report_suites(docs)))
    props = {(case.get("classname"), case.get("name"), p.get("name")): p.get("value")
             for case in root.iter("testcase") for p in case.iter("property")}
    assert props[("edgetk.bench.alexa", "alexa.tflite on host-x86_64", "timing")] == "unknown"
    assert props[("edgetk.bench.alexa", "alexa.tflite on cortex-m4", "timing")] == "estimated"
    assert props[("edgetk.bench.alexa", "alexa.tflite on cortex-m4", "runner_timing")] == "host-run"
    assert props[("edgetk.compare.alexa", "alexa.tflite on host-x86_64", "latency_timing")] == "unknown"
    assert "measured" not in {v for (_c, _n, key), v in props.items() if "timing" in key}


def test_report_command_renders_every_older_document(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "toolkit.cli", "report", *map(str, FILES), "--html",
                           str(tmp_path / "r.html"), "--junit", str(tmp_path / "r.xml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "written by an older edgetk" in (tmp_path / "r.html").read_text()
    ET.parse(tmp_path / "r.xml")
