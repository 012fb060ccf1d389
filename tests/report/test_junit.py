"""JUnit XML is well-formed and has one case per model x target, failing exactly where the verdict fails."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from toolkit.report.junit import JUnitCase, JUnitSuite, check_suite, compare_suite, junit_xml, write_junit


def _check_doc() -> dict:
    return {"schema": "edgetk.check/1", "model": {"path": "m.tflite"}, "results": [
        {"target": "host-x86_64", "verdict": "runs", "findings": []},
        {"target": "cortex-m4", "verdict": "does-not-run", "findings": [
            {"rule": "op-kernel", "severity": "error", "message": "SELECT v1 has no kernel in tflm", "op": "SELECT"}]},
        {"target": "android-arm64", "verdict": "delegate-fallback", "findings": [
            {"rule": "delegate", "severity": "fallback", "message": "SELECT falls back to CPU", "op": "SELECT"}]},
    ]}


def test_check_suite_cases_and_failures(tmp_path: Path) -> None:
    path = write_junit(tmp_path / "check.xml", [check_suite(_check_doc(), "m.tflite")])
    root = ET.parse(path).getroot()
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "3", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == ["m.tflite on host-x86_64", "m.tflite on cortex-m4", "m.tflite on android-arm64"]
    failure = cases["m.tflite on cortex-m4"].find("failure")
    assert failure is not None and "SELECT v1 has no kernel" in failure.get("message")
    assert cases["m.tflite on android-arm64"].find("failure") is None


def test_compare_suite_marks_regressing_targets() -> None:
    doc = {
        "new": {"path": "/x/new.tflite"}, "numerics": None, "latency": [],
        "targets": [{"target": "rpi4-arm64", "new_verdict": "does-not-run", "old_verdict": "runs", "change": "regression"},
                    {"target": "host-x86_64", "new_verdict": "runs", "old_verdict": "runs", "change": "unchanged"}],
        "findings": [{"severity": "regression", "kind": "support", "target": "rpi4-arm64", "message": "rpi4: old runs, new not"},
                     {"severity": "info", "kind": "producer", "message": "producers differ"}],
    }
    root = ET.fromstring(junit_xml([compare_suite(doc)]))
    cases = {c.get("name"): c.find("failure") for c in root.iter("testcase")}
    assert set(cases) == {"new.tflite on rpi4-arm64", "new.tflite on host-x86_64"}
    assert cases["new.tflite on rpi4-arm64"].get("message") == "rpi4: old runs, new not"
    assert cases["new.tflite on host-x86_64"] is None
    props = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in root.iter("testcase")}
    assert props["new.tflite on host-x86_64"]["evidence"] == "static"  # was absent: no provenance for "runs"


def test_compare_suite_says_a_verdict_a_run_decided() -> None:
    doc = {"new": {"path": "new.tflite"}, "numerics": None, "latency": [], "findings": [],
           "targets": [{"target": "host-x86_64", "new_verdict": "does-not-run", "old_verdict": "runs",
                        "change": "regression", "evidence": "numerics", "predicted_new_verdict": "runs",
                        "prediction_wrong": True}]}
    case = ET.fromstring(junit_xml([compare_suite(doc)])).find("testsuite/testcase")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert (props["evidence"], props["predicted_new"], props["prediction_wrong"]) == ("numerics", "runs", "true")


def test_special_characters_stay_well_formed() -> None:
    suite = JUnitSuite("s <&> \"q\"", [JUnitCase("a & b", "c", failure="x < y & \"z\"", details="ü ✓"),
                                        JUnitCase("skipped one", "c", skipped="no device")])
    root = ET.fromstring(junit_xml([suite]))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "a & b" and case.find("failure").get("message") == "x < y & \"z\""
    assert root.find("testsuite").get("skipped") == "1"
