"""Every compatibility rule has a short title and a fix hint for the grouped check report."""

from __future__ import annotations

from toolkit.targets.fixes import RULE_HELP, fix_hint, rule_help
from toolkit.targets.rules import RULES


def test_every_rule_has_a_title_and_a_fix() -> None:
    missing = [r.name for r in RULES if r.name not in RULE_HELP]
    assert missing == []
    assert all(h.title and h.fix for h in RULE_HELP.values())


def test_float16_dequantize_on_tflm_says_quantize_to_int8_or_drop_float16() -> None:
    message = "tflm 0.dev rejects DEQUANTIZE with float16 input (measured: ...)."
    assert "quantize to int8" in fix_hint("unsupported_op_dtype", message)
    assert "without float16" in fix_hint("unsupported_op_dtype", message)
    assert fix_hint("unsupported_op_dtype", "rejects MUL with int16 input") == rule_help("unsupported_op_dtype").fix


def test_unknown_rule_still_has_a_title() -> None:
    assert rule_help("some_new_rule").title == "some new rule"


def test_check_json_findings_carry_their_fix(run_cli) -> None:
    import json

    from benchmarks.corpus import corpus_model

    doc = json.loads(run_cli("check", corpus_model("mediapipe/face_detection_short_range.tflite"), "-t", "cortex-m4",
                             "--json").stdout)
    dequantize = next(f for f in doc["results"][0]["findings"] if f["op"] == "DEQUANTIZE")
    assert dequantize["fix"].startswith("quantize to int8") and "without float16" in dequantize["fix"]
    assert all(f["fix"] for f in doc["results"][0]["findings"])
