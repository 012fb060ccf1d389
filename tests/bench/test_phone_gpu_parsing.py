"""The phone's GPU delegate as benchmark_model and inference_diff document it.

benchmark_model: tests/bench/data/benchmark_model_gpu.txt follows the tool's GPU run line for line (numbers are
ours): "Use gpu: [1]", "Created TensorFlow Lite delegate for GPU.", "Explicitly applied GPU delegate, and the
model graph will be completely executed by the delegate." A partial delegation says "partially executed by the
delegate w/ N delegate kernels"; a build or phone without GPU support says "GPU acceleration is unsupported on
this platform." and benchmarks on the CPU anyway, which must never be reported as a GPU figure.
inference_diff: tests/bench/data/inference_diff_readme.txt is the example output of its README
(tools/evaluation/tasks/inference_diff/README.md), whose lines run_eval.cc prints through TFLITE_LOG.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.bench.benchmark_model import gpu_delegate, gpu_prediction, parse_benchmark_output, tool_findings
from toolkit.bench.inference_diff import inference_diff_argv, numerics_findings, parse_inference_diff
from toolkit.errors import DeviceError

DATA = Path(__file__).parent / "data"


def _run(text: str, **asked: object) -> dict:
    doc = parse_benchmark_output(text)
    doc["options"] = {"threads": None, "gpu": False, "xnnpack": True, **asked}
    return doc


def test_a_full_gpu_delegation_is_read_from_the_tools_own_lines() -> None:
    doc = _run((DATA / "benchmark_model_gpu.txt").read_text(), gpu=True, threads=4)
    assert doc["latency_ms"]["p50"] == 12.08 and doc["init_ms"] == 1210.5
    assert doc["tool_settings"] == {"num_threads": 4, "use_gpu": True}
    assert [(d["name"], d["coverage"]) for d in doc["delegates"]] == [("GPU", "full")]
    assert gpu_delegate(doc)["applied"] is True
    assert tool_findings(doc, "phone") == []


def test_partial_delegation_is_a_warning_naming_its_kernels() -> None:
    text = ("INFO: Use gpu: [1]\nINFO: Explicitly applied GPU delegate, and the model graph will be partially "
            "executed by the delegate w/ 3 delegate kernels.\n" + (DATA / "benchmark_model_gpu.txt").read_text()
            .split("INFO: The input model file size")[1])
    doc = _run(text, gpu=True)
    assert gpu_delegate(doc)["coverage"] == "partial" and gpu_delegate(doc)["kernels"] == 3
    assert [(r, s) for r, s, _ in tool_findings(doc, "phone")] == [("gpu-partial", "warning")]


def test_a_gpu_that_was_not_applied_is_an_error_and_the_figures_are_not_the_gpus() -> None:
    text = (DATA / "benchmark_model_gpu.txt").read_text()
    cpu_only = "\n".join(ln for ln in text.splitlines() if "GPU" not in ln and "OpenCL" not in ln)
    doc = _run(cpu_only.replace("INFO: Loaded model", "INFO: GPU acceleration is unsupported on this platform.\n"
                                "INFO: Loaded model"), gpu=True)
    gpu = gpu_delegate(doc)
    assert gpu["requested"] and not gpu["applied"]
    assert gpu["evidence"] == "GPU acceleration is unsupported on this platform."
    (rule, severity, message), = tool_findings(doc, "phone")
    assert (rule, severity) == ("gpu-not-applied", "error") and "CPU timings" in message


def test_settings_the_tool_reports_against_the_request_are_said() -> None:
    doc = _run((DATA / "benchmark_model_gpu.txt").read_text(), gpu=True, threads=2)
    assert [m for _, _, m in tool_findings(doc, "phone")] == [
        "benchmark_model reports num_threads = 4, edgetk asked for 2"]


def test_inference_diff_readme_output_is_parsed_into_ms_and_mean_errors() -> None:
    doc = parse_inference_diff((DATA / "inference_diff_readme.txt").read_text())
    assert doc["runs"] == 50
    assert doc["reference_latency"] == {"avg_ms": pytest.approx(84.3642), "std_ms": pytest.approx(12.525)}
    assert doc["test_latency"] == {"avg_ms": pytest.approx(7.28164), "std_ms": pytest.approx(2.089)}
    assert doc["outputs"] == [{"index": 0, "avg_error": 1.96277e-05, "std_dev": 6.95767e-06}]


def test_inference_diff_without_its_summary_is_a_device_error_naming_the_last_line() -> None:
    with pytest.raises(DeviceError, match="no 'Num evaluation runs' line: ERROR: Could not evaluate model!"):
        parse_inference_diff("WARN: Unsupported TFLite delegate: tpu\nERROR: Could not evaluate model!\n")


def test_inference_diff_argv_uses_its_documented_flags() -> None:
    argv = inference_diff_argv("/d/inference_diff", "/d/m.tflite", SimpleNamespace(runs=7, threads=2))
    assert argv == ["/d/inference_diff", "--model_file=/d/m.tflite", "--delegate=gpu", "--num_runs=7",
                    "--num_interpreter_threads=2"]


def test_numerics_beyond_tolerance_fail_and_a_missing_tool_is_said() -> None:
    numerics = {"outputs": [{"index": 0, "name": "logits", "avg_error": 0.5, "std_dev": 0.1, "tolerance": 0.011,
                             "passed": False}]}
    (rule, severity, message), = numerics_findings(numerics, "phone")
    assert (rule, severity) == ("gpu-numerics", "error") and "mean |diff| 0.5 > 0.011" in message
    assert numerics_findings({"outputs": [{**numerics["outputs"][0], "avg_error": 1e-5, "passed": True}]}, "p") == []
    assert numerics_findings(None, "phone")[0][:2] == ("gpu-numerics-not-compared", "info")
    assert numerics_findings({"error": "inference_diff failed (exit 1): x"}, "phone")[0][:2] == (
        "gpu-numerics-failed", "error")


def test_the_op_tables_prediction_stands_beside_the_phones_answer() -> None:
    predicted = SimpleNamespace(coverage="partial", ops_on_cpu=["GATHER"], source="litert-gpu.json")
    full = _run((DATA / "benchmark_model_gpu.txt").read_text(), gpu=True)
    block, wrong = gpu_prediction(full, predicted)
    assert (block["predicted"], block["observed"], block["agrees"]) == ("partial", "full", False)
    assert wrong[:2] == ("gpu-prediction-wrong", "warning") and wrong[2].startswith(
        "PREDICTION WRONG (gpu delegate): the op table predicted partial ['GATHER'], the phone's GPU delegate did full")
    no_gpu = _run("INFO: GPU acceleration is unsupported on this platform.\n" + (DATA / "benchmark_model_gpu.txt")
                  .read_text().split("INFO: The input model file size")[1], gpu=True)
    assert gpu_prediction(no_gpu, predicted) == ({**block, "observed": None, "agrees": None}, None)  # no evidence
