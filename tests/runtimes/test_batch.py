"""The runner's ``--batch`` (schema 2): several models in ONE runner process, each with its own warm-up and
timings, interleaved in rounds; one model's failure (an error, a native crash, a hang) loses no other's.

Everything here runs the real runner with real runtimes (LiteRT, TFLM) in child processes through the real
local / tflm transports; the crashing and hanging models are real ones (LiteRT SIGSEGVs on mutually
recursive WHILE bodies, TFLM never returns from a WHILE whose cond and body are one subgraph).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from benchmarks.fuzz_seeds import cyclic_while_model
from toolkit.bench.per_op import run_slices
from toolkit.child_output import runner_doc_problem
from toolkit.runtimes.documents import RunnerBatchDocument, RunnerDocument
from toolkit.runtimes.protocol import RUNNER_PATH, SCHEMA, Kind, RunnerOptions
from toolkit.transports.local import LocalTransport
from toolkit.transports.tflm import TflmTransport


def _zip(tmp_path: Path, members: dict[str, bytes | Path]) -> Path:
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in members.items():
            z.writestr(name, data.read_bytes() if isinstance(data, Path) else data)
    return archive


def _runner(*args: str) -> dict:
    proc = subprocess.run([sys.executable, str(RUNNER_PATH), *args], capture_output=True, text=True, timeout=120)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("runtime", ["litert", "tflm"])
def test_a_batch_times_every_model_in_rounds_and_reports_a_failing_one_in_its_entry(
        runtime: str, models: dict[str, Path], tmp_path: Path) -> None:
    archive = _zip(tmp_path, {"a.tflite": models["relu"], "bad.tflite": models["custom"], "b.tflite": models["relu"]})
    doc = _runner("--batch", str(archive), "--runtime", runtime, "--runs", "6", "--rounds", "3", "--warmup", "1")
    parsed = RunnerBatchDocument.model_validate(doc)
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == doc  # nothing dropped, nothing renamed
    assert doc["schema"] == SCHEMA and runner_doc_problem(doc) is None
    assert (doc["options"]["rounds"], doc["options"]["runs_per_round"]) == (3, 2)
    a, bad, b = doc["models"]
    assert [m["name"] for m in (a, bad, b)] == ["a.tflite", "bad.tflite", "b.tflite"]  # batch order kept
    assert bad["error"]["kind"] == "missing-kernel" and set(bad) == {"name", "error"}
    for entry in (a, b):
        assert entry["latency_ms"]["runs"] == 6 and len(entry["latency_ms"]["samples"]) == 6
        assert len(entry["latency_ms"]["round_p50"]) == len(entry["cpu_ms"]["round_p50"]) == 3
        assert entry["outputs"][0]["finite"]


def test_a_single_model_run_keeps_its_document_under_the_new_version(models: dict[str, Path]) -> None:
    doc = _runner("--model", str(models["relu"]), "--runs", "2", "--warmup", "0")
    assert RunnerDocument.model_validate(doc).schema_ == SCHEMA == "edgetk.runner/2"
    assert "models" not in doc and doc["latency_ms"]["runs"] == 2 and "round_p50" not in doc["latency_ms"]
    old = dict(doc, schema="edgetk.runner/1")  # a document an earlier edgetk stored still reads
    assert RunnerDocument.model_validate(old).schema_ == "edgetk.runner/1"


@pytest.mark.parametrize("argv", [["--batch", "/nonexistent.zip"], ["--model", "m", "--batch", "x"], []])
def test_bad_batch_arguments_are_one_bad_input_document(argv: list[str]) -> None:
    assert _runner(*argv)["error"]["kind"] == "bad-input"


def test_a_model_that_kills_the_runner_is_reported_crashed_and_the_batch_goes_on_without_it(
        models: dict[str, Path], tmp_path: Path) -> None:
    archive = _zip(tmp_path, {"a.tflite": models["relu"], "crash.tflite": cyclic_while_model("mutual"),
                              "b.tflite": models["relu"]})
    with LocalTransport(tmp_path / "t") as transport:
        outcomes, lost, failure = run_slices(transport, archive, "litert", RunnerOptions(runs=4, warmup=1), 2)
    assert failure is None
    assert set(lost) == {"crash.tflite"} and lost["crash.tflite"]["kind"] == "crashed"
    assert "SIGSEGV" in lost["crash.tflite"]["reason"] and "timed again without it" in lost["crash.tflite"]["reason"]
    assert {name: o.kind for name, o in outcomes.items()} == {"a.tflite": Kind.OK, "b.tflite": Kind.OK}
    assert outcomes["b.tflite"].document["latency_ms"]["runs"] == 4


@pytest.mark.slow  # waits for one timeout of the hung batch
def test_a_model_that_hangs_tflm_is_reported_hung_and_the_others_are_timed(models: dict[str, Path],
                                                                           tmp_path: Path) -> None:
    archive = _zip(tmp_path, {"a.tflite": models["relu"], "hang.tflite": cyclic_while_model("cond-is-body")})
    with TflmTransport(tmp_path / "t") as transport:
        outcomes, lost, failure = run_slices(transport, archive, "tflm", RunnerOptions(runs=2, timeout=8.0), 1)
    assert failure is None and lost["hang.tflite"]["kind"] == "hang"
    assert "did not finish within 8s" in lost["hang.tflite"]["reason"]
    assert outcomes["a.tflite"].kind is Kind.OK and "hang.tflite" not in outcomes


def test_a_batch_the_device_does_not_finish_fails_every_slice_with_the_reason(tmp_path: Path) -> None:
    """The host's timeout stops the real runner before any model ran (0.02 s: still starting Python, before numpy and
    LiteRT): no model is blamed, every slice and the interleaved whole model fail with the reason, and
    nothing raises (bench keeps the whole model's own run)."""
    from toolkit.bench.per_op import measure_per_op
    from toolkit.model.builder import build_single_op_model

    model = tmp_path / "relu.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    with LocalTransport(tmp_path / "t") as transport:
        per_op = measure_per_op(transport, model, "litert", RunnerOptions(runs=2, warmup=0, timeout=0.02))
    assert per_op["ops"] == [] and per_op["whole_interleaved"]["kind"] == "no-result"
    (failed,) = per_op["failed"]
    assert failed["kind"] == "no-result" and failed["reason"].startswith("the per-op batch failed: ")


@pytest.mark.parametrize("threads", [None, 2])
def test_per_op_note_judges_by_cpu_time_only_single_threaded_and_junit_carries_both_ratios(
        threads: int | None, models: dict[str, Path]) -> None:
    from toolkit.bench import BenchOptions, bench_model
    from toolkit.report.junit import bench_suite
    from toolkit.targets import load_registry

    options = BenchOptions(runs=5, warmup=1, per_op=True, threads=threads)
    doc = json.loads(json.dumps(bench_model(models["relu"], load_registry().get("host-x86_64"), options=options)
                                .to_dict()))
    per_op = doc["per_op"]
    assert per_op["threads"] == threads and per_op["cpu_ratio"] > 0
    judged = per_op["cpu_ratio"] if threads is None else per_op["ratio"]
    assert per_op["note"].startswith(f"ops alone sum to {judged:.0%} of the whole run"
                                     + (" on CPU time" if threads is None else ":"))
    (case,) = bench_suite(doc).cases
    assert case.properties["per_op_cpu_ratio"] == f"{per_op['cpu_ratio']:.3g}"
    assert case.properties["per_op_ratio"] == f"{per_op['ratio']:.3g}"


def test_a_batch_takes_a_directory_and_files_too_and_refuses_duplicate_names(models: dict[str, Path],
                                                                             tmp_path: Path) -> None:
    folder = tmp_path / "slices"
    folder.mkdir()
    (folder / "x.tflite").write_bytes(models["relu"].read_bytes())
    (folder / "notes.txt").write_text("not a model")
    doc = _runner("--batch", str(folder), str(models["relu"]), "--runs", "2", "--warmup", "0")
    assert [m["name"] for m in doc["models"]] == ["x.tflite", "relu.tflite"]
    assert all(m["latency_ms"]["runs"] == 2 for m in doc["models"])
    again = _runner("--batch", str(models["relu"]), str(models["relu"]), "--runs", "1")
    assert again["error"]["kind"] == "bad-input" and "unique" in again["error"]["message"]
