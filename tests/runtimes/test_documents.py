"""The typed runner and bench documents match what the real programs print, and the committed JSON Schemas
are the ones the models generate (`make docs`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.bench.documents import BenchDocument
from toolkit.runtimes.documents import RunnerDocument, RunnerErrorDetail, RunnerErrorDocument
from toolkit.runtimes.protocol import RUNNER_PATH, Kind
from toolkit.schemas import json_schemas, render

REPO = Path(__file__).resolve().parents[2]


def _runner(*args: str) -> dict:
    proc = subprocess.run([sys.executable, str(RUNNER_PATH), *args], capture_output=True, text=True, timeout=120)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("runtime,extra", [("litert", ()), ("litert", ("--no-xnnpack", "--threads", "2")),
                                           ("tflite-runtime", ()), ("tflm", ("--outputs-npz", "OUT"))])
def test_real_runner_output_validates(runtime: str, extra: tuple[str, ...], models: dict[str, Path],
                                      tmp_path: Path) -> None:
    extra = tuple(str(tmp_path / "o.npz") if a == "OUT" else a for a in extra)
    doc = _runner("--model", str(models["relu"]), "--runtime", runtime, "--runs", "3", "--warmup", "1", *extra)
    parsed = RunnerDocument.model_validate(doc)
    assert parsed.runtime.name == runtime and parsed.latency_ms.runs == 3
    assert (parsed.arena is not None) == (runtime == "tflm")
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == doc  # nothing dropped, nothing renamed


@pytest.mark.parametrize("model,runtime,kind", [("custom", "litert", "missing-kernel"), ("f16", "tflm", "init-failed"),
                                                ("missing", "litert", "bad-input")])
def test_real_runner_errors_validate(model: str, runtime: str, kind: str, models: dict[str, Path]) -> None:
    doc = _runner("--model", str(models.get(model, "/nonexistent.tflite")), "--runtime", runtime, "--runs", "1")
    assert RunnerErrorDocument.model_validate(doc).error.kind == kind


def test_document_error_kinds_are_the_runners_and_the_protocols() -> None:
    documented = set(RunnerErrorDetail.model_fields["kind"].annotation.__args__)
    produced = {"bad-input", "missing-runtime", "missing-kernel", "internal",
                *(f"{stage}-failed" for stage in ("init", "invoke"))}  # classify_runtime_error's stages
    assert documented == produced
    assert documented <= {k.value for k in Kind}


def test_bench_documents_validate(models: dict[str, Path]) -> None:
    from toolkit.bench.orchestrate import BenchOptions, bench_model
    from toolkit.targets import load_registry

    registry = load_registry()
    for target in ("host-x86_64", "cortex-m4"):
        result = bench_model(models["relu"], registry.get(target), options=BenchOptions(runs=3, warmup=1))
        doc = json.loads(json.dumps(result.to_dict()))
        parsed = BenchDocument.model_validate(doc)
        assert parsed.target == target and parsed.runner.latency_ms.runs == 3
        assert (parsed.mcu_estimate is not None) == (target == "cortex-m4")


def test_committed_schemas_are_generated_from_the_models() -> None:
    for stem, schema in json_schemas().items():
        committed = REPO / "docs" / "schemas" / f"{stem}.schema.json"
        assert committed.read_text() == render(schema), f"run `make docs` ({committed.name} is stale)"
