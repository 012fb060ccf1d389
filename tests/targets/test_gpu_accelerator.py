"""The GPU answer against the real thing: LiteRT 2.3's GPU accelerator (WebGPU on SwiftShader) runs
third-party models (MediaPipe, microWakeWord) and models built here, and the static verdict from the
measured table (shipped/optables/litert-gpu.json) must predict its coverage class and CPU op set."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.model import builder, load_model
from toolkit.paths import shipped_targets_dir
from toolkit.runtimes.gpu_accelerator import EVIDENCE, LATENCY_LABEL, GpuRun, run_gpu_accelerator
from toolkit.targets.gpu_probe_models import _gather, _reshape_runtime_shape
from toolkit.targets.gpu_verdict import DelegateVerdict, load_gpu_table, predict_gpu

pytestmark = pytest.mark.slow  # LiteRT's GPU accelerator on SwiftShader: seconds per model; make test only

CORPUS = ["mediapipe/selfie_segmentation.tflite", "mediapipe/face_detection_full_range_sparse.tflite",
          "pymicro_wakeword/hey_jarvis.tflite"]
BUILT = {"while_loop": builder.while_model, "gather_2d_indices": lambda: _gather([1, 3]),
         "reshape_runtime_shape": _reshape_runtime_shape, "select_v1": builder.select_model}


@pytest.fixture(scope="session")
def gpu_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("gpu-models")
    models = {name: corpus_model(name) for name in CORPUS}
    for name, build in BUILT.items():
        models[name] = out / f"{name}.tflite"
        models[name].write_bytes(build())
    return models


@pytest.fixture(scope="session")
def gpu_runs(gpu_models: dict[str, Path]) -> dict[str, tuple[GpuRun, DelegateVerdict]]:
    table = load_gpu_table(shipped_targets_dir() / "optables" / "litert-gpu.json")
    return {name: (run_gpu_accelerator(path), predict_gpu(load_model(path), table)) for name, path in gpu_models.items()}


def test_selfie_segmentation_runs_fully_on_the_gpu_custom_op_included(gpu_runs) -> None:
    run, predicted = gpu_runs["mediapipe/selfie_segmentation.tflite"]
    assert (run.coverage, run.ops_on_cpu, run.partitions, run.evidence) == ("full", [], 1, EVIDENCE)
    assert run.adapter and run.adapter.startswith("SwiftShader")
    assert run.numerics_passed is True and run.numerics[0].max_abs < 1e-5
    assert (predicted.coverage, predicted.ops_on_cpu, predicted.evidence, predicted.partitions) == (
        "full", [], "op-table", 1)


def test_partial_models_leave_the_op_types_the_table_predicts(gpu_runs) -> None:
    sparse, predicted = gpu_runs["mediapipe/face_detection_full_range_sparse.tflite"]
    assert sparse.coverage == predicted.coverage == "partial"
    assert sparse.ops_on_cpu == predicted.ops_on_cpu == ["DENSIFY", "DEQUANTIZE"]
    assert {r.message for r in sparse.reasons} >= {"Dequantize for Densify is not supported"}
    assert sparse.gpu_ops > 0 and sparse.cpu_ops > 0
    # Measured: the partially delegated sparse model's outputs are garbage (|diff| ~1e35): said loudly.
    assert sparse.numerics_passed is False
    wake, predicted = gpu_runs["pymicro_wakeword/hey_jarvis.tflite"]
    assert wake.coverage == predicted.coverage == "partial"
    assert wake.ops_on_cpu == predicted.ops_on_cpu == ["ASSIGN_VARIABLE", "CALL_ONCE", "READ_VARIABLE", "VAR_HANDLE"]
    # partitions: TFLite's greedy partitioning predicted; the sparse weights' DENSIFY chain splits nothing
    assert wake.partitions == predicted.partitions == 1 and sparse.partitions == 1
    assert gpu_runs["mediapipe/face_detection_full_range_sparse.tflite"][1].partitions == 1


def test_built_models_partial_and_refused(gpu_runs) -> None:
    for name in ("while_loop", "gather_2d_indices", "select_v1"):
        run, predicted = gpu_runs[name]
        assert (run.coverage, run.ops_on_cpu) == (predicted.coverage, predicted.ops_on_cpu), name
    assert gpu_runs["while_loop"][0].ops_on_cpu == ["WHILE"]
    gather = gpu_runs["gather_2d_indices"][0]
    assert gather.coverage == "partial" and gather.reasons[0].message == "Only support 1D indices"
    refused, predicted = gpu_runs["reshape_runtime_shape"]
    assert refused.coverage == predicted.coverage == "refused" and not refused.loaded


def test_check_json_carries_the_gpu_block_and_labels_nnapi_as_docs(run_cli, gpu_models) -> None:
    proc = run_cli("check", gpu_models["mediapipe/selfie_segmentation.tflite"], "-t", "android-arm64", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    delegates = {d["name"]: d for d in result["delegates"]}
    assert delegates["gpu"]["coverage"] == "full" and delegates["gpu"]["evidence"] == "op-table"
    assert EVIDENCE in delegates["gpu"]["source"]
    assert delegates["nnapi"]["evidence"] == "predicted from docs"
    assert not [f for f in result["findings"] if f["severity"] == "error"]  # the GPU takes the custom op
    junit = gpu_models["while_loop"].with_suffix(".xml")
    assert run_cli("check", gpu_models["while_loop"], "-t", "android-arm64", "--junit", junit).returncode == 0
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert props["delegate.gpu"] == "partial (op-table)" and props["delegate.gpu.ops_on_cpu"] == "WHILE"
    assert props["delegate.nnapi"] == "partial (predicted from docs)"
    refused = json.loads(run_cli("check", gpu_models["reshape_runtime_shape"], "-t", "android-arm64", "--json").stdout)
    gpu = [d for d in refused["results"][0]["delegates"] if d["name"] == "gpu"][0]
    assert gpu["coverage"] == "refused"
    assert any(f["rule"] == "delegate_refuses_graph" for f in refused["results"][0]["findings"])


def test_bench_accelerator_gpu_labels_its_latency_everywhere(run_cli, gpu_models, tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    proc = run_cli("bench", gpu_models["while_loop"], "-t", "android-arm64", "--accelerator", "gpu", "--runs", "3",
                   "--warmup", "1", "--json", "--db", db)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["timing"] == "software-gpu" and LATENCY_LABEL in doc["timing_note"] and doc["headline"]["timing"] == "software-gpu"
    assert doc["runner"]["latency_ms"]["runs"] == 3
    assert doc["runner"]["accelerator"]["coverage"] == "partial"
    from toolkit.bench import ResultsStore

    stored = ResultsStore(db).get(doc["id"])
    assert LATENCY_LABEL in json.dumps(stored.to_dict(), default=str, ensure_ascii=False)
    text = run_cli("bench", gpu_models["while_loop"], "-t", "android-arm64", "--accelerator", "gpu", "--runs", "2",
                   "--no-store")
    assert text.returncode == 0 and "not a phone's latency" in text.stdout and "WHILE" in text.stdout


def test_missing_vulkan_driver_is_one_line_and_exit_3(run_cli, gpu_models, monkeypatch) -> None:
    monkeypatch.setenv("EDGETK_VK_ICD", "/nonexistent/vk_swiftshader_icd.json")
    proc = run_cli("bench", gpu_models["while_loop"], "-t", "android-arm64", "--accelerator", "gpu")
    assert proc.returncode == 3
    assert proc.stderr.strip().count("\n") == 0 and "apt-get install chromium" in proc.stderr
    assert "Traceback" not in proc.stderr
    verify = run_cli("check", gpu_models["while_loop"], "-t", "android-arm64", "--verify")
    assert verify.returncode == 3 and "EDGETK_VK_ICD" in verify.stderr and "Traceback" not in verify.stderr
    static = run_cli("check", gpu_models["while_loop"], "-t", "android-arm64", "--json")  # static still works
    assert static.returncode == 0 and '"coverage": "partial"' in static.stdout


def test_probe_subset_agrees_with_the_shipped_table() -> None:
    """RSQRT, LEAKY_RELU, DIV are taken (the docs list said no); DENSIFY is not (measured)."""
    from toolkit.targets.gpu_probe import probe_gpu

    probed = probe_gpu(only={"RSQRT", "LEAKY_RELU", "DIV", "DENSIFY", "GATHER"})
    shipped = json.loads((shipped_targets_dir() / "optables" / "litert-gpu.json").read_text())
    assert {op: probed["ops"][op]["status"] for op in ("RSQRT", "LEAKY_RELU", "DIV", "DENSIFY")} == {
        "RSQRT": "taken", "LEAKY_RELU": "taken", "DIV": "taken", "DENSIFY": "unsupported"}
    assert probed["variants"]["GATHER[indices_rank=2]"]["reason"] == "Only support 1D indices"
    for op in probed["ops"]:
        assert probed["ops"][op] == shipped["ops"][op], op
    assert probed["backend"] == shipped["backend"] == EVIDENCE


def test_verify_replaces_the_gpu_prediction_with_the_accelerator_run(run_cli, gpu_models) -> None:
    proc = run_cli("check", gpu_models["gather_2d_indices"], "-t", "android-arm64", "--verify", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    gpu = next(d for d in result["delegates"] if d["name"] == "gpu")
    assert gpu["evidence"] == "accelerator-run" and gpu["predicted"]["evidence"] == "op-table"
    assert gpu["coverage"] == gpu["predicted"]["coverage"] == "partial" and gpu["prediction_wrong"] is False
    assert gpu["reasons"] == [{"op": "GATHER", "message": "Only support 1D indices"}]
    assert gpu["numerics"]["passed"] is True
    tried = {o["key"]: o for o in result["runtime_outcomes"]}
    assert tried["litert-gpu"]["provenance"] == "software-gpu" and tried["litert-gpu"]["outcome"] == "runs"
    assert any(f["rule"] == "delegate_fallback" and "accelerator-run" in f["message"] for f in result["findings"])
    assert not any("op-table" in f["message"] for f in result["findings"] if f["rule"] == "delegate_fallback"
                   and f["message"].startswith("gpu"))


def test_verify_says_a_wrong_gpu_prediction_loudly(run_cli, gpu_models, tmp_path: Path, monkeypatch) -> None:
    """A stale table (RSQRT marked as left to the CPU, as the docs list had it) against the real run."""
    table = json.loads((shipped_targets_dir() / "optables" / "litert-gpu.json").read_text())
    for entry in table["ops"]["RSQRT"]["versions"].values():
        entry.update(status="cpu", reason="Operation is not supported.")
    targets = tmp_path / "targets"
    (targets / "optables").mkdir(parents=True)
    (targets / "optables" / "litert-gpu.json").write_text(json.dumps(table))
    android = (shipped_targets_dir() / "android-arm64.toml").read_text()
    (targets / "stale-phone.toml").write_text(android.replace('name = "android-arm64"', 'name = "stale-phone"', 1))
    model = tmp_path / "rsqrt.tflite"
    from toolkit.targets.gpu_probe_models import op_case_model

    model.write_bytes(op_case_model("RSQRT", 1))
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(targets))
    static = json.loads(run_cli("check", model, "-t", "stale-phone", "--json").stdout)["results"][0]
    assert next(d for d in static["delegates"] if d["name"] == "gpu")["ops_on_cpu"] == ["RSQRT"]
    proc = run_cli("check", model, "-t", "stale-phone", "--verify")
    assert "PREDICTION WRONG for stale-phone gpu delegate" in proc.stdout, proc.stdout + proc.stderr
    doc = json.loads(run_cli("check", model, "-t", "stale-phone", "--verify", "--json").stdout)["results"][0]
    gpu = next(d for d in doc["delegates"] if d["name"] == "gpu")
    assert gpu["prediction_wrong"] is True and gpu["coverage"] == "full" and gpu["predicted"]["ops_on_cpu"] == ["RSQRT"]


def test_gpu_bench_document_validates_against_the_bench_schema(gpu_models) -> None:
    from toolkit.bench.documents import BenchDocument
    from toolkit.bench.gpu_bench import bench_gpu
    from toolkit.bench.orchestrate import BenchOptions
    from toolkit.targets import load_registry

    android = load_registry().get("android-arm64")
    for name in ("while_loop", "reshape_runtime_shape"):  # a run with latency, and a refused model without
        doc = bench_gpu(gpu_models[name], android, options=BenchOptions(runs=2, warmup=0)).to_dict()
        parsed = BenchDocument.model_validate(doc)
        assert parsed.timing == "software-gpu" and parsed.runner.provenance == "software-gpu"
    assert doc["findings"][0]["rule"] == "gpu-refused" and "latency_ms" not in doc["runner"]


def test_supported_ops_has_the_measured_gpu_column_and_variants() -> None:
    from toolkit.targets import load_registry
    from toolkit.targets.docs import supported_ops_markdown

    text = supported_ops_markdown(load_registry())
    header = next(line for line in text.splitlines() if line.startswith("| op | litert"))
    assert header.endswith(f"| LiteRT 2.3.0 GPU ({EVIDENCE}) |")
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[-1].rstrip(" |") for line in text.splitlines()
            if line.startswith("| ") and line.count(" | ") == header.count(" | ")}
    assert rows["RSQRT"] == "1–2" and rows["DENSIFY"] == "—" and rows["WHILE"] == "—"
    assert "| `GATHER[indices_rank=2]` | cpu | Only support 1D indices |" in text
