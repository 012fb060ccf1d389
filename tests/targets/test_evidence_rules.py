"""Static verdicts the runtimes confirm: kernel parameter constraints, custom ops each runtime registers, and
the issue's loop-form RNNs — on models `edgetk convert` built from the issue's Keras cases and on MediaPipe's
own files. Each test asserts what the real runtime did (via `check --verify`'s tries, in child processes)
AND that plain `check` predicted it, with the violated constraint, the op index and the runtime's own line.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.corpus import corpus_model
from benchmarks.evidence_cases import ensure_cases
from toolkit.model import load_model
from toolkit.paths import shipped_targets_dir
from toolkit.targets import check_model, load_registry
from toolkit.targets.verify import verify_report

pytestmark = pytest.mark.slow  # TF-converted cases (cached) and real runtimes in children


def _both(path, *targets: str):  # noqa: ANN001, ANN202 - (static results, verified results) by target
    registry = load_registry()
    descriptors = [registry.get(t) for t in targets]
    with load_model(path) as model:
        static = check_model(model, descriptors)
        verified = verify_report(model, static, descriptors)
    return {r.target: r for r in static.results}, {r.target: r for r in verified.results}


def _constraint(result, feature: str):  # noqa: ANN001, ANN202
    return next(f for f in result.findings if f.rule == "kernel_constraint" and f"with {feature} =" in f.message)


@pytest.mark.parametrize(("case", "feature", "value", "line"), [
    ("convlstm2d", "input_rank", "5", "input dim should not exceed 4"),
    ("tensorarray_scan", "begin", "runtime", "Non-constant >begin< tensor is not supported"),
    ("lstm_dynamic_range", "quantization", "hybrid-int8", "Input type: FLOAT32 with filter type: INT8 not supported"),
])  # fmt: skip
def test_kernel_constraints_predict_what_tflm_refuses(case: str, feature: str, value: str, line: str) -> None:
    static, verified = _both(ensure_cases(case)[case], "cortex-m4", "host-x86_64")
    m4 = static["cortex-m4"]
    assert m4.verdict == "does-not-run"
    finding = _constraint(m4, feature)
    assert f"with {feature} = {value}" in finding.message and line in finding.message
    assert finding.op in ("STRIDED_SLICE", "FULLY_CONNECTED") and finding.op_index is not None
    # the runtime itself: TFLM refuses with the same line, so the prediction was right
    assert verified["cortex-m4"].verdict == "does-not-run" and not verified["cortex-m4"].prediction_wrong
    assert line in verified["cortex-m4"].outcomes[0].message
    assert verified["host-x86_64"].verdict == static["host-x86_64"].verdict == "runs"


def test_dynamic_range_fc_version_is_too_new_for_tflite_runtime_2_14() -> None:
    """FULLY_CONNECTED v12 (hybrid): the probe's old version cap of 8 hid that 2.14 stops at v10."""
    static, verified = _both(ensure_cases("lstm_dynamic_range")["lstm_dynamic_range"], "rpi4-arm64")
    pi = static["rpi4-arm64"]
    assert pi.verdict == "does-not-run"
    assert any(f.rule == "unsupported_op_version" and f.op == "FULLY_CONNECTED" for f in pi.findings)
    assert verified["rpi4-arm64"].verdict == "does-not-run" and not verified["rpi4-arm64"].prediction_wrong
    assert "FULLY_CONNECTED' version '12'" in verified["rpi4-arm64"].outcomes[-1].message


@pytest.mark.parametrize("case", ["gru_reset_after", "gru_reset_before", "custom_rnn_cell", "lstm_loop"])
def test_loop_form_rnns_run_on_this_tflm_as_predicted(case: str) -> None:
    """The issue saw TFLM hang on loop-form GRUs; TFLM 0.dev20261023 returns from invoke on them with LiteRT's
    numbers (verify compares the outputs): check says runs, and TFLM really runs them."""
    static, verified = _both(ensure_cases(case)[case], "cortex-m4")
    assert static["cortex-m4"].verdict == "runs"
    [tflm] = verified["cortex-m4"].outcomes
    assert tflm.outcome == "runs" and tflm.arena_bytes and tflm.arena_bytes > 0
    assert not verified["cortex-m4"].prediction_wrong


@pytest.mark.parametrize(("case", "kind"), [("stacked_bilstm", "wrong-output"), ("greedy_decoder", "hung")])
def test_run_time_shaped_tensors_break_tflm_and_check_says_so(case: str, kind: str) -> None:
    """A TensorArray written inside a WHILE lowers to SLICEs whose output shape is computed at run time
    (signature -1, a placeholder stored shape): TFLM overruns them. The greedy decoder's WHILE then never
    returns; the stacked BiLSTM returns numbers 0.1 off LiteRT's. check predicts both statically."""
    static, verified = _both(ensure_cases(case)[case], "cortex-m4")
    m4 = static["cortex-m4"]
    assert m4.verdict == "does-not-run"
    finding = next(f for f in m4.errors if f.rule == "tflm_runtime_shaped_tensor")
    assert finding.op == "SLICE" and finding.op_index is not None and "signature [-1" in finding.message
    [tflm] = verified["cortex-m4"].outcomes
    assert tflm.outcome == "does-not-run" and tflm.kind == kind
    assert not verified["cortex-m4"].prediction_wrong


def test_registered_custom_op_is_not_reported_missing_on_litert() -> None:
    """MediaPipe's Convolution2DTransposeBias is taken by LiteRT's XNNPACK delegate, not by tflite-runtime 2.14
    or TFLM: the probe measured it by name, and the runtimes agree."""
    static, verified = _both(corpus_model("mediapipe/selfie_segmentation.tflite"), "host-x86_64", "android-arm64",
                             "rpi4-arm64")
    assert static["host-x86_64"].verdict == "runs"
    assert not any(f.rule == "custom_op" for f in static["android-arm64"].findings)
    assert [f.rule for f in static["rpi4-arm64"].errors] == ["custom_op"]
    assert verified["host-x86_64"].verdict == "runs" and verified["rpi4-arm64"].verdict == "does-not-run"
    assert "Convolution2DTransposeBias" in verified["rpi4-arm64"].outcomes[-1].message
    assert not any(r.prediction_wrong for r in verified.values())


def test_unregistered_mediapipe_custom_ops_do_not_run_anywhere() -> None:
    static, verified = _both(corpus_model("mediapipe/face_landmark_with_attention.tflite"), "host-x86_64", "rpi4-arm64")
    ops = {f.op for f in static["host-x86_64"].errors if f.rule == "custom_op"}
    assert ops == {"Landmarks2TransformMatrix", "TransformLandmarks", "TransformTensorBilinear"}
    assert all(r.verdict == "does-not-run" and not r.prediction_wrong for r in verified.values())


def test_shipped_tables_carry_custom_ops_and_constraints() -> None:
    tables = {name: json.loads((shipped_targets_dir() / "optables" / f"{name}.json").read_text())
              for name in ("litert", "tflite-runtime", "tflm")}  # fmt: skip
    litert_conv = tables["litert"]["custom_ops"]["Convolution2DTransposeBias"]
    assert litert_conv["status"] == "registered" and litert_conv["via"] == "xnnpack"
    assert tables["tflite-runtime"]["custom_ops"]["Convolution2DTransposeBias"]["status"] == "missing"
    assert tables["tflm"]["custom_ops"]["TFLite_Detection_PostProcess"]["status"] == "registered"
    tflm_slice = tables["tflm"]["constraints"]["STRIDED_SLICE"]
    assert tflm_slice["input_rank"]["4"] == "ok" and "should not exceed 4" in tflm_slice["input_rank"]["5"]
    assert tables["litert"]["constraints"]["STRIDED_SLICE"]["input_rank"]["6"] == "ok"
    assert "1D-5D" in tables["tflite-runtime"]["constraints"]["STRIDED_SLICE"]["input_rank"]["6"]


def test_tflm_softmax_abort_on_a_tiny_int8_input_scale_is_predicted() -> None:
    """MLPerf Tiny's VWW (MobileNetV1-0.25, rebuilt from its published description, random weights, int8):
    its SOFTMAX input scale is ~8e-9, so TFLM's CalculateSoftmaxParams aborts the process at init
    (QuantizeMultiplierGreaterThanOne needs beta x scale x 2**26 > 1). LiteRT and tflite-runtime run it."""
    from benchmarks.mlperf_tiny_models import ensure_models

    vww = ensure_models(["vww"])["vww"]
    static, verified = _both(vww, "cortex-m4", "host-x86_64")
    finding = _constraint(static["cortex-m4"], "input_scale")
    assert finding.op == "SOFTMAX" and "int8-tiny" in finding.message and "SIGABRT" in finding.message
    assert static["cortex-m4"].verdict == verified["cortex-m4"].verdict == "does-not-run"
    assert "SIGABRT" in verified["cortex-m4"].outcomes[0].message
    assert static["host-x86_64"].verdict == verified["host-x86_64"].verdict == "runs"


def test_tflite_detection_postprocess_is_registered_everywhere_and_runs_as_predicted() -> None:
    """SSD's detection head (TFLite's custom TFLite_Detection_PostProcess, built from the kernel's documented
    options): the probe found it registered in LiteRT, tflite-runtime AND TFLM, so check must not call it a
    missing custom op on an MCU; TFLM runs it and decodes the same boxes as LiteRT on the same seeded inputs."""
    import tempfile
    from pathlib import Path

    from toolkit.model.builder import detection_postprocess_model
    from toolkit.targets.verify import output_mismatch

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ssd_head.tflite"
        path.write_bytes(detection_postprocess_model(detections=5))
        static, verified = _both(path, "cortex-m4", "host-x86_64", "rpi4-arm64")
    for target in ("cortex-m4", "host-x86_64", "rpi4-arm64"):
        assert static[target].verdict == "runs" and not any(f.rule == "custom_op" for f in static[target].findings)
        assert verified[target].verdict == "runs" and not verified[target].prediction_wrong
        assert all(o.outcome == "runs" for o in verified[target].outcomes)
    [tflm] = verified["cortex-m4"].outcomes
    litert = verified["host-x86_64"].outcomes[0]
    assert tflm.outputs[3]["name"] == "num_detections" and tflm.outputs[3]["max"] == 5.0  # it really detected
    assert output_mismatch(tflm.outputs, litert.outputs) is None
