"""`check` must agree with reality: every model is also run (allocate + invoke) by the real LiteRT,
tflite-runtime and TFLM runtimes in child processes, and the verdict must predict whether it ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.model import load_model
from toolkit.targets import check_model, load_registry
from toolkit.targets.probe import run_manifest

TARGET_RUNTIME = {"host-x86_64": "litert", "cortex-m4": "tflm", "rpi4-arm64": "tflite-runtime"}


def _reality(models: dict[str, Path]) -> dict[tuple[str, str], tuple[str, str]]:
    names = sorted(models)
    entries = [{"path": str(models[n]), "mode": "run"} for n in names]
    outcome = {}
    for target, runtime in TARGET_RUNTIME.items():
        run = run_manifest(runtime, entries)
        for i, name in enumerate(names):
            outcome[(name, target)] = run.results[i]
    return outcome


def _assert_agrees(models: dict[str, Path]) -> dict[tuple[str, str], str]:
    registry = load_registry()
    targets = [registry.get(t) for t in TARGET_RUNTIME]
    reality = _reality(models)
    verdicts = {}
    for name, path in models.items():
        with load_model(path) as model:
            report = check_model(model, targets)
        for result in report.results:
            status, detail = reality[(name, result.target)]
            predicted_runs = result.verdict != "does-not-run"
            assert predicted_runs == (status == "ok"), (name, result.target, result.verdict,
                                                        [f.message for f in result.findings], status, detail)
            verdicts[(name, result.target)] = result.verdict
    return verdicts


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_builder_models_verdicts_match_real_runtimes(builder_models: dict[str, Path]) -> None:
    verdicts = _assert_agrees(builder_models)
    # The cases the issue names, pinned so a vacuous agreement (everything fails) cannot pass.
    assert verdicts[("select_v1", "host-x86_64")] == "runs"
    assert verdicts[("select_v1", "cortex-m4")] == "does-not-run"
    assert verdicts[("densify", "cortex-m4")] == "does-not-run"
    assert verdicts[("dequantize_fp16", "cortex-m4")] == "does-not-run"
    assert verdicts[("dequantize_int8", "cortex-m4")] == "runs"
    assert verdicts[("while_loop", "cortex-m4")] == "runs"
    assert verdicts[("resource_variables", "cortex-m4")] == "runs"
    assert verdicts[("add_v99", "host-x86_64")] == "does-not-run"
    assert verdicts[("add_v99", "cortex-m4")] == "runs"  # TFLM ignores op versions
    for target in TARGET_RUNTIME:
        assert verdicts[("custom_op", target)] == verdicts[("flex_op", target)] == "does-not-run"


@pytest.mark.slow
def test_tf_converted_models_verdicts_match_real_runtimes(tf_models: dict[str, Path]) -> None:
    verdicts = _assert_agrees(tf_models)
    assert verdicts[("dense_fp16", "host-x86_64")] == "runs"
    assert verdicts[("dense_fp16", "cortex-m4")] == "does-not-run"
    assert verdicts[("cnn_int8", "cortex-m4")] == "runs"
    assert verdicts[("keras_lstm_while", "host-x86_64")] == "runs"
    assert verdicts[("flex_cumprod", "host-x86_64")] == "does-not-run"


def test_check_reports_the_reason_per_op(builder_models: dict[str, Path]) -> None:
    with load_model(builder_models["dequantize_fp16"]) as model:
        result = check_model(model, ["cortex-m4"]).results[0]
    [finding] = result.errors
    assert finding.rule == "unsupported_op_dtype" and finding.op == "DEQUANTIZE" and finding.op_index == 0
    assert "float16" in finding.message


def test_memory_rules_use_flash_and_estimated_arena(builder_models: dict[str, Path]) -> None:
    from toolkit.model.builder import ModelBuilder
    from toolkit.targets.arena import estimate_arena_bytes

    b = ModelBuilder()
    x = b.add_tensor([1, 200, 200, 8], name="x")  # 1.28 MB float32 activations: over an M4's 640 KB
    y = b.add_tensor([1, 200, 200, 8], name="y")
    b.add_op("RELU", [x], [y])
    b.set_io([x], [y])
    path = builder_models["while_loop"].parent / "big.tflite"
    path.write_bytes(b.build())
    with load_model(path) as model:
        assert estimate_arena_bytes(model) == 2 * 200 * 200 * 8 * 4
        report = check_model(model, ["cortex-m4", "host-x86_64"])
    m4, host = report.results
    assert m4.verdict == "does-not-run" and [f.rule for f in m4.errors] == ["arena_over_ram"]
    assert host.verdict == "runs"
