"""`edgetk check` text fits a CI log: one line per target, findings grouped by (rule, op) with a fix.

The models are MediaPipe's own face detectors (third-party files from the pinned wheel, benchmarks/corpus.py):
before grouping, `check --all-targets` printed 4,498 and 12,123 lines at 80 columns for them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.report.check_text import group_findings, merge_messages, op_ranges, render_check
from toolkit.report.junit import check_suite, junit_xml

FACES = ["mediapipe/face_detection_short_range.tflite", "mediapipe/face_detection_full_range_sparse.tflite"]


def _check(run_cli, model: Path, *extra: str, monkeypatch: pytest.MonkeyPatch, columns: int = 80):
    monkeypatch.setenv("COLUMNS", str(columns))
    return run_cli("check", model, "--all-targets", *extra)


@pytest.mark.parametrize("name", FACES)
def test_all_targets_on_mediapipe_face_detection_fits_70_lines_of_80_columns(
        name: str, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    model = corpus_model(name)
    proc = _check(run_cli, model, monkeypatch=monkeypatch)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stderr  # the MCU targets cannot run it
    # 60 -> 70 (issue 11): the measured GPU answer adds one line per delegate and the DEQUANTIZE-of-DENSIFY
    # group the accelerator really leaves to the CPU
    assert len(lines) <= 70 and max(map(len, lines)) <= 80, proc.stdout
    doc = json.loads(run_cli("check", model, "--all-targets", "--json").stdout)
    mcus = [r["target"] for r in doc["results"] if r["runtime"].startswith("tflm")]
    m4 = next(r for r in doc["results"] if r["target"] == "cortex-m4")
    dequantize = {f["op_index"] for f in m4["findings"] if f["op"] == "DEQUANTIZE"}
    assert len(dequantize) > 50  # the model really has that many float16 DEQUANTIZE ops ...
    text = proc.stdout
    words = " ".join(text.split())
    # ... and the text says so once, with the count, the targets, the first op index and the fix
    assert text.count("rejects DEQUANTIZE with float16 input") == 1
    assert f"error DEQUANTIZE: dtype rejected ({len(dequantize)} ops) on {', '.join(mcus)}" in words
    assert f"  ops: {min(dequantize)}" in text and "fix: quantize to int8" in words and "without float16" in words
    # one line per target, in the summary, with its verdict and the number of its findings
    for result in doc["results"]:
        row = next(line for line in lines if line.startswith(result["target"] + " "))
        assert result["verdict"] in row and f" {len(result['findings'])} " in row


def test_verbose_lists_every_instance(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    model = corpus_model(FACES[0])
    doc = json.loads(run_cli("check", model, "--all-targets", "--json").stdout)
    total = sum(len(r["findings"]) for r in doc["results"])
    text = _check(run_cli, model, "--verbose", monkeypatch=monkeypatch).stdout
    instances = [line for line in text.splitlines() if line.startswith("  - ")]
    assert len(instances) == total
    assert "  - cortex-m7 op 0: tflm" in text and "  - esp32-s3 op 0: tflm" in text and max(map(len, text.splitlines())) <= 80


def test_narrow_pipe_degrades_to_plain_lines(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 50 columns the top reason leaves its column for an indented line; nothing is cut."""
    text = _check(run_cli, corpus_model(FACES[0]), monkeypatch=monkeypatch, columns=50).stdout
    lines = text.splitlines()
    assert max(map(len, lines)) <= 50, text
    at = lines.index(next(line for line in lines if line.startswith("cortex-m4 ")))
    assert lines[at + 1].startswith("    DEQUANTIZE: dtype rejected")
    assert "…" not in "".join(lines[:at + 2])


def test_junit_failure_body_is_grouped(tmp_path: Path) -> None:
    from toolkit.model import load_model
    from toolkit.targets import check_model

    with load_model(corpus_model(FACES[0])) as model:
        report = check_model(model, ["cortex-m4", "host-x86_64"])
    root = ET.fromstring(junit_xml([check_suite(report, "face.tflite")]))
    failure = root.find(".//testcase[@name='face.tflite on cortex-m4']/failure")
    assert failure is not None and failure.get("message").startswith(
        "face.tflite does not run on cortex-m4: DEQUANTIZE: dtype rejected (")
    body = failure.text
    assert body.count("rejects DEQUANTIZE with float16 input") == 1 and "fix: quantize to int8" in " ".join(body.split())
    assert len(body.splitlines()) < 20  # was one line per finding (75)
    assert root.find(".//testcase[@name='face.tflite on host-x86_64']/failure") is None


def test_op_indices_collapse_into_ranges_per_subgraph() -> None:
    assert op_ranges([(0, 3), (0, 1), (0, 2), (0, 7), (1, 4), (1, 5), (0, 9)]) == ["1-3", "7", "9", "sg1:4-5"]
    assert op_ranges([(0, 0)]) == ["0"]


def test_messages_differing_in_a_word_or_two_merge() -> None:
    gpu = "The gpu delegate does not take DENSIFY; it runs on CPU."
    assert merge_messages([gpu, gpu.replace("gpu", "nnapi")]) == [
        "The gpu/nnapi delegate does not take DENSIFY; it runs on CPU."]
    ram = [f"arena 9 bytes exceeds {t}'s {r} bytes of RAM." for t, r in (("m0", 1), ("m4", 2), ("m7", 3), ("s3", 4))]
    assert merge_messages(ram) == ["arena 9 bytes exceeds … bytes of RAM.", "…: m0's 1; m4's 2; m7's 3; s3's 4"]
    different = ["Tensor 'a' is float64, which x does not support.", "one two three"]
    assert merge_messages(different) == different


def _doc_with_evidence() -> dict:
    finding = {"rule": "missing_kernel", "severity": "error", "op": "SELECT", "subgraph": 0,
               "message": "tflm has no kernel for SELECT (measured by the op-support probe)."}
    return {"schema": "edgetk.check/1", "model": {"path": "m.tflite", "sha256": "ab" * 32, "size_bytes": 1200},
            "results": [
                {"target": "cortex-m4", "verdict": "does-not-run", "evidence": "verified",
                 "findings": [dict(finding, op_index=i) for i in (4, 5, 6, 9)]},
                {"target": "android-arm64", "verdict": "runs", "findings": [],
                 "delegates": [{"name": "gpu", "coverage": "partial", "ops_on_cpu": 2, "partitions": 3,
                                "evidence": "static", "reasons": []}]}]}


def test_renders_evidence_and_delegates_from_a_json_document() -> None:
    lines = render_check(_doc_with_evidence(), width=80)
    text = "\n".join(lines)
    assert lines[0] == "edgetk check m.tflite" and "1,200 bytes; sha256 abababababab; 2 targets" in lines[1]
    assert "cortex-m4      does-not-run (verified)  4  SELECT: no kernel (4 ops)" in text
    assert "  gpu delegate: partial, 2 ops on CPU, 3 partitions, static" in text
    assert "  ops: 4-6, 9" in text


def test_groups_order_errors_first_then_by_size() -> None:
    pairs = [("t", {"rule": "delegate_fallback", "severity": "fallback", "op": "ADD", "op_index": 1, "message": "f"}),
             ("t", {"rule": "missing_kernel", "severity": "error", "op": "TILE", "op_index": 2, "message": "m"}),
             ("t", {"rule": "missing_kernel", "severity": "error", "op": "SELECT", "op_index": 3, "message": "s"}),
             ("t", {"rule": "missing_kernel", "severity": "error", "op": "SELECT", "op_index": 4, "message": "s"})]
    assert [(g.op, g.count) for g in group_findings(pairs)] == [("SELECT", 2), ("TILE", 1), ("ADD", 1)]


def test_device_lines_show_prediction_next_to_observation_and_say_a_disagreement_loudly() -> None:
    from toolkit.devices.on_device import DeviceCheck, Observed
    from toolkit.report.check_text import render_device_checks
    from toolkit.targets.check import TargetVerdict

    predicted = TargetVerdict("rpi4-arm64", "does-not-run", [], "tflite-runtime 2.14.0", "stale.json", 0)
    checks = [DeviceCheck("old", "emulator", True, predicted, Observed(verdict="runs", runtime="tflite-runtime",
                                                                     arch="aarch64", first_inference_ms=3.25)),
              DeviceCheck("gone", "ssh", False, predicted, Observed(verdict="not-checked",
                                                                      message="host unreachable"))]
    lines = render_device_checks(checks, width=80)
    assert lines[1].split() == ["device", "target", "via", "predicted", "observed"]
    assert lines[2].split() == ["old", "rpi4-arm64", "emulator*", "does-not-run", "runs", "DISAGREES"]
    assert lines[3] == "  tflite-runtime, aarch64: invoked once (3.25 ms)" and lines[5] == "  host unreachable"
    assert "* emulated (qemu-user)" in lines[6] and lines[7].startswith("PREDICTION WRONG on old: op table stale.json")
    assert max(map(len, lines)) <= 80


def test_one_op_is_named_in_the_title_and_a_rules_fix_is_said_once_for_its_groups() -> None:
    def fallback(op: str, index: int) -> dict:
        return {"rule": "delegate_fallback", "severity": "fallback", "op": op, "subgraph": 0, "op_index": index,
                "message": f"The gpu delegate does not take {op}; it runs on CPU."}
    doc = {"model": {"path": "m.tflite"}, "results": [
        {"target": "android-arm64", "verdict": "delegate-fallback", "findings": [fallback("DENSIFY", 8),
                                                                                 fallback("TILE", 3)]}]}
    lines = render_check(doc, width=80)
    assert "fallback DENSIFY: falls back to CPU (op 8)" in lines and "fallback TILE: falls back to CPU (op 3)" in lines
    assert sum(line.startswith("  fix: ") for line in lines) == 1 and lines[-1].startswith("  fix: fine if")
    assert not any(line.startswith("  ops:") for line in lines)


def test_verify_text_calls_the_tflm_arena_host_run() -> None:
    """TFLM ran on this x86_64 host (64-bit structs): its arena total is not a device's measurement."""
    from toolkit.report.verify_text import verify_lines

    result = {"target": "cortex-m4", "verdict": "runs", "predicted_verdict": "runs", "arena_measured_bytes": 20432,
              "runtime_outcomes": [{"outcome": "runs", "label": "TFLM, arena = RAM 655,360 B",
                                    "provenance": "host-run"}]}
    text = "\n".join(verify_lines({"results": [result]}, width=80))
    assert "cortex-m4: runs, predicted runs; TFLM arena 20,432 B (host-run)" in text and "measured" not in text


def test_the_summary_counts_read_as_english_for_one() -> None:
    """`check selfie_segmentation.tflite -t rpi4-arm64` said "1 target: 1 do not run" and "1 findings"."""
    doc = _doc_with_evidence()
    doc["results"] = doc["results"][:1]
    doc["results"][0]["findings"] = doc["results"][0]["findings"][:1]
    text = " ".join(" ".join(render_check(doc, width=80)).split())
    assert "1 target: 1 does not run" in text and "1 finding in 1 group" in text
    assert "2 targets: 1 runs, 1 does not run" in " ".join(" ".join(render_check(_doc_with_evidence(),
                                                                              width=80)).split())
