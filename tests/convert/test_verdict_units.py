"""The numerics verdict, target reconciliation, TF root-cause lines and SignatureDef writing, without TensorFlow.

Fast: pure functions on recorded shapes of data (RuntimeCheck results as numcheck returns them, TF error text
as TF 2.21 prints it) and a real .tflite built with toolkit.model.builder and run in LiteRT.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from toolkit.convert import check_inputs, signature, verdict
from toolkit.convert.frontends import InputSpec
from toolkit.convert.options import OutputError, RuntimeCheck


def _check(runtime: str, *rels: float, ok: bool = True, error: str | None = None) -> RuntimeCheck:
    return RuntimeCheck(runtime=runtime, ok=ok, error=error,  # keywords: the record is a pydantic model now
                        outputs=[OutputError(name=f"out{i}", max_abs=r * 2.0, max_rel=r) for i, r in enumerate(rels)])


def test_within_the_modes_tolerance_passes_and_says_which_tolerance() -> None:
    v = verdict.numerics_verdict([_check("litert", 3e-7, 1e-6)], "none", None, verify=True, reference_error=None,
                                 check_inputs="3 seeded random samples (seed 0)")
    assert v.status == "passed" and v.ok and v.worst_rel == 1e-6
    assert v.tolerance == verdict.TOLERANCES["none"] and v.tolerance_source == "default for --quantize none"


@pytest.mark.parametrize("mode", list(verdict.TOLERANCES))
def test_over_the_tolerance_fails_in_every_mode(mode: str) -> None:
    over = verdict.TOLERANCES[mode] * 1.5
    v = verdict.numerics_verdict([_check("litert", over)], mode, None, verify=True, reference_error=None,
                                 check_inputs=None)
    assert v.status == "failed" and not v.ok
    assert v.reasons == [f"litert: out0 relative error {over:.3g} > {verdict.TOLERANCES[mode]:.3g} "
                         f"(max abs {over * 2:.3g})"]


def test_nan_error_fails() -> None:
    v = verdict.numerics_verdict([_check("litert", math.nan)], "none", None, verify=True, reference_error=None,
                                 check_inputs=None)
    assert v.status == "failed"


def test_tolerance_flag_overrides_the_default() -> None:
    checks = [_check("litert", 0.3)]
    assert verdict.numerics_verdict(checks, "int8", None, verify=True, reference_error=None,
                                    check_inputs=None).status == "failed"
    loose = verdict.numerics_verdict(checks, "int8", 0.5, verify=True, reference_error=None, check_inputs=None)
    assert loose.status == "passed" and loose.tolerance == 0.5 and loose.tolerance_source == "--tolerance"


def test_a_failed_or_hung_runtime_check_is_not_a_pass() -> None:
    checks = [_check("litert", 1e-7), _check("tflm", ok=False, error="no result within 60 s (hung)")]
    v = verdict.numerics_verdict(checks, "none", None, verify=True, reference_error=None, check_inputs=None)
    assert v.status == "failed" and v.reasons == ["tflm: the check run failed — no result within 60 s (hung)"]


def test_reference_failure_is_not_checked_with_the_root_cause_and_the_fix() -> None:
    v = verdict.numerics_verdict([], "none", None, verify=True, check_inputs="3 seeded random samples",
                                 reference_error="InvalidArgumentError: indices[0,3] = 5 is not in [0, 2)")
    assert v.status == "not-checked" and not v.ok
    assert "indices[0,3] = 5 is not in [0, 2)" in v.reasons[0] and "--inputs FILE.npz" in v.reasons[0]


def test_no_verify_is_skipped_and_ok() -> None:
    v = verdict.numerics_verdict([], "int8", None, verify=False, reference_error=None, check_inputs=None)
    assert v.status == "skipped" and v.ok


def _row(target: str, runtime: str, predicted: str, rule: str = "op_support") -> dict:
    findings = [] if predicted == "runs" else [{"rule": rule, "severity": "error", "message": "no kernel"}]
    return {"target": target, "verdict": predicted, "runtime": runtime, "findings": [f["message"] for f in findings],
            "finding_details": findings}


def test_hung_runtime_overrides_a_predicted_runs_loudly() -> None:
    rows = verdict.reconcile_targets([_row("cortex-m4", "tflm 0.dev", "runs"), _row("rpi4-arm64", "tflite-runtime 2.14",
                                                                                 "runs")],
                                     [_check("tflm", ok=False, error="no result within 60 s (hung)")])
    m4, pi = rows
    assert m4["verdict"] == "does-not-run" and m4["predicted"] == "runs" and m4["evidence"] == "verified"
    assert m4["prediction_wrong"] and m4["findings"][0] == (
        "PREDICTION WRONG: predicted runs, but tflm failed in this run: no result within 60 s (hung)")
    assert pi["evidence"] == "static" and pi["verdict"] == "runs" and not pi["prediction_wrong"]


def test_a_runtime_that_ran_contradicts_an_op_prediction_but_not_a_memory_one() -> None:
    ops, ram = verdict.reconcile_targets([_row("host-x86_64", "litert 2.3.0", "does-not-run"),
                                          _row("cortex-m4", "tflm 0.dev", "does-not-run", rule="ram_budget")],
                                         [_check("litert", 1e-7), _check("tflm", 1e-7)])
    assert ops["verdict"] == "runs" and ops["prediction_wrong"]
    assert ram["verdict"] == "does-not-run" and not ram["prediction_wrong"] and ram["evidence"] == "verified"


def test_agreeing_evidence_is_quiet() -> None:
    (row,) = verdict.reconcile_targets([_row("cortex-m4", "tflm 0.dev", "does-not-run")],
                                       [_check("tflm", ok=False, error="TFLM failed to allocate tensors")])
    assert row["verdict"] == "does-not-run" and not row["prediction_wrong"]
    assert not any("PREDICTION WRONG" in f for f in row["findings"])


class _TfError(Exception):
    """The shape of TF 2.21's eager InvalidArgumentError text for an out-of-range gather."""

    message = ("Graph execution error:\n\nDetected at node model/token_type_embeddings/GatherV2 defined at (most "
               "recent call last):\n  File \"/x/model.py\", line 3, in call\n\n"
               "{{function_node __inference_call_123}} indices[0,3] = 5 is not in [0, 2)\n"
               "\t [[{{node model/token_type_embeddings/GatherV2}}]] [Op:__inference_call_123]")


def test_root_cause_is_the_line_that_says_what_went_wrong() -> None:
    line = check_inputs.root_cause(_TfError())
    assert line.startswith("_TfError: indices[0,3] = 5 is not in [0, 2)")
    assert "(node model/token_type_embeddings/GatherV2)" in line
    assert "Graph execution error" not in line and "function_node" not in line


def test_masks_are_prefixes_of_ones_and_ranges_are_respected() -> None:
    specs = [InputSpec("input_ids", [1, 8], "int32"), InputSpec("attention_mask", [1, 8], "int32"),
             InputSpec("token_type_ids", [1, 8], "int32"), InputSpec("x", [1, 3], "float32")]
    ranges = {"input_ids": check_inputs.IntRange(0, 30, "t"), "token_type_ids": check_inputs.IntRange(0, 2, "t"),
              "attention_mask": check_inputs.IntRange(0, 2, "mask")}
    ids, mask, types, x = check_inputs.random_check_inputs(specs, 50, 0, ranges)
    assert ids.min() >= 0 and ids.max() < 30 and ids.max() > 9  # the graph's bound, not the old [0, 10)
    assert set(np.unique(types)) == {0, 1}
    assert np.all(mask[..., 0] == 1) and np.all(np.diff(mask, axis=-1) <= 0)  # 1…1 0…0 per row
    assert x.dtype == np.float32 and x.min() >= -1 and x.max() < 1


def test_output_keys_come_from_dicts_then_names_then_positions() -> None:
    assert signature.output_keys({"b": 1, "a": 2}, 2, None) == ["a", "b"]
    assert signature.output_keys([1], 1, ["logits"]) == ["logits"]
    assert signature.output_keys([1, 2], 2, ["dense", "dense"]) == ["output_0", "output_1"]  # not unique


def test_added_signature_is_what_a_signature_runner_calls(tmp_path: Path) -> None:
    from ai_edge_litert.interpreter import Interpreter

    from toolkit.model import load_model
    from toolkit.model.builder import build_single_op_model

    blob = signature.add_signature(build_single_op_model("ABS"), "serving_default", ["features"], ["magnitude"])
    path = tmp_path / "abs.tflite"
    path.write_bytes(blob)
    with load_model(path) as model:
        (sig,) = model.signatures
        assert sig.key == "serving_default" and list(sig.inputs) == ["features"] and list(sig.outputs) == ["magnitude"]
    runner = Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    out = runner(features=np.array([[-1.0, 2.0, -3.0, 4.0]], np.float32))
    assert np.array_equal(out["magnitude"], [[1.0, 2.0, 3.0, 4.0]])
    assert signature.add_signature(blob, "other", ["a"], ["b"]) == blob  # one already there: kept
    with pytest.raises(ValueError, match="2 inputs"):
        signature.add_signature(build_single_op_model("ABS"), "k", ["a", "b"], ["c"])
