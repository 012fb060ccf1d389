"""`report` validates each input as a whole typed document; the typed models match what the real commands write.

The seed documents are real: check (static, --verify, --device on a local device), bench (LiteRT on this host,
TFLM for an MCU target) and compare (with and without --bench) on corpus models, made by the library calls
the CLI makes (benchmarks/fuzz_documents.py). Convert reports are validated in tests/convert.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model, corpus_models
from benchmarks.fuzz_documents import fuzz_documents, seed_documents, type_mutation
from toolkit.errors import BadInputError, ExitCode
from toolkit.report.inputs import FAMILIES, document_model, load_results, schema_read


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return seed_documents(tmp_path_factory.mktemp("seeds"))


def _write(tmp_path: Path, doc: dict, name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_real_documents_validate_against_their_models_exactly(seeds: list[dict]) -> None:
    kinds = set()
    for doc in seeds:
        model = document_model(doc["schema"].partition("/")[0])
        parsed = model.model_validate(doc, strict=True)  # unknown fields refused: every field is typed
        assert parsed.model_dump(by_alias=True, exclude_unset=True) == doc  # nothing dropped, nothing renamed
        results = doc.get("results", [])
        kinds.add(doc["schema"])
        kinds |= {"verified" for r in results if r.get("evidence") == "verified"}
        kinds |= {"device" for r in results if "observed" in r}
        kinds |= {"gpu-run" for r in results for d in r.get("delegates", []) if d["evidence"] == "accelerator-run"}
        kinds |= {"mcu"} if doc.get("mcu_estimate") else set()
        kinds |= {"latency"} if doc.get("latency") else set()
    assert kinds == {"edgetk.check/1", "edgetk.bench/1", "edgetk.compare/1", "verified", "device", "mcu",
                     "gpu-run", "latency"}


def test_the_reader_reads_the_versions_the_writers_write() -> None:
    from toolkit.bench.orchestrate import BENCH_SCHEMA
    from toolkit.convert.options import REPORT_SCHEMA
    from toolkit.report.compare import COMPARE_SCHEMA
    from toolkit.targets.check import CHECK_SCHEMA

    assert [schema_read(f) for f in FAMILIES] == [CHECK_SCHEMA, BENCH_SCHEMA, COMPARE_SCHEMA, REPORT_SCHEMA]


def test_real_documents_load_and_a_newer_minor_field_is_ignored(seeds: list[dict], tmp_path: Path) -> None:
    paths = [_write(tmp_path, {**doc, "added_in_a_later_1_x": {"any": 1}}, f"{i}.json") for i, doc in enumerate(seeds)]
    docs = load_results(paths)
    assert [d["_file"] for d in docs] == [str(p) for p in paths]


@pytest.mark.parametrize("where,value,field", [
    (("results", 0, "verdict"), 3, "results[0].verdict"),
    (("results", 1, "findings", 0, "severity"), "fatal", "results[1].findings[0].severity"),
    (("model",), [], "model"),
    (("all_run",), "yes", "all_run"),
])
def test_a_type_mutated_check_document_is_one_line_naming_the_field(seeds: list[dict], tmp_path: Path, where: tuple,
                                                                    value: object, field: str) -> None:
    doc = json.loads(json.dumps(next(d for d in seeds if d["schema"] == "edgetk.check/1" and len(d["results"]) > 1
                                     and d["results"][1]["findings"])))
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    with pytest.raises(BadInputError) as info:
        load_results([_write(tmp_path, doc)])
    text = str(info.value)
    assert f"not a valid edgetk.check/1 document: field {field}: " in text and "\n" not in text, text
    assert text.endswith("re-create it with `edgetk check --json`") and info.value.exit_code == ExitCode.BAD_INPUT


def test_report_cli_exits_2_with_one_line_on_a_mutated_bench_document(seeds: list[dict], tmp_path: Path,
                                                                      run_cli) -> None:
    doc = json.loads(json.dumps(next(d for d in seeds if d["schema"] == "edgetk.bench/1" and d["mcu_estimate"])))
    doc["mcu_estimate"]["top_ops"][0]["share"] = [1]  # crashed the MCU section (TypeError) before validation
    proc = run_cli("report", _write(tmp_path, doc), "--html", tmp_path / "r.html", "--junit", tmp_path / "r.xml")
    assert proc.returncode == ExitCode.BAD_INPUT, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "field mcu_estimate.top_ops[0].share: " in lines[0], proc.stderr
    assert not (tmp_path / "r.html").exists() and "Traceback" not in proc.stderr


def test_seeded_type_mutations_never_crash_report(seeds: list[dict]) -> None:
    """The attack of issue 17 (type-mutated check/bench/compare documents), a seeded sample of it."""
    report = fuzz_documents(seeds, cases=240, seed=7)
    assert report.crashes == [] and report.bad_refusals == []
    assert report.outcomes["refused"] > 150 and report.outcomes["rendered"] > 0  # both paths exercised


def test_type_mutation_changes_one_value_to_another_type(seeds: list[dict]) -> None:
    import random

    doc, where = type_mutation(seeds[0], random.Random(1))
    assert doc != seeds[0] and where and doc["schema"] == seeds[0]["schema"]


@pytest.mark.parametrize("model", ["mediapipe/face_detection_short_range.tflite", "pymicro_wakeword/"])
def test_inspect_documents_validate(model: str, run_cli) -> None:
    from toolkit.model.documents import InspectDocument, InspectOpsDocument

    path = corpus_models(model)[0] if model.endswith("/") else corpus_model(model)
    for argv, typed in ((("--json",), InspectDocument), (("--json", "--ops-only"), InspectOpsDocument)):
        proc = run_cli("inspect", path, *argv)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        parsed = typed.model_validate(doc, strict=True)
        assert parsed.model_dump(by_alias=True, exclude_unset=True) == doc


def test_real_documents_validate_against_the_committed_json_schemas(seeds: list[dict]) -> None:
    """What a third party validating with docs/schemas/*.schema.json sees (jsonschema: the dev extra)."""
    jsonschema = pytest.importorskip("jsonschema")
    schemas = Path(__file__).resolve().parents[2] / "docs" / "schemas"
    for doc in seeds:
        stem = doc["schema"].partition("/")[0].removeprefix("edgetk.")
        validator = jsonschema.Draft202012Validator(json.loads((schemas / f"{stem}.schema.json").read_text()))
        assert [e.message for e in validator.iter_errors(doc)] == [], doc["schema"]
        broken = json.loads(json.dumps(doc))
        broken["schema"] = f"edgetk.{stem}/2"
        assert list(validator.iter_errors(broken)), "the schema pins the version"
