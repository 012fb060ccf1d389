"""One declaration per field: every typed document and input schema shares toolkit.documents' strict base,
and a document part generated from a library dataclass (``model_of``) follows the dataclass."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, fields
from pathlib import Path

import pytest
from pydantic import ValidationError

from toolkit.documents import Strict, model_of
from toolkit.model import cost, documents

TOOLKIT = Path(__file__).resolve().parents[2] / "toolkit"


def _own_strict_configs() -> list[str]:
    """Classes outside toolkit/documents.py that set extra="forbid" themselves (a second strict base)."""
    found = []
    for path in TOOLKIT.rglob("*.py"):
        if path == TOOLKIT / "documents.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ConfigDict":
                if any(k.arg == "extra" and getattr(k.value, "value", None) == "forbid" for k in node.keywords):
                    found.append(f"{path.relative_to(TOOLKIT.parent)}:{node.lineno}")
    return found


def test_no_module_declares_its_own_strict_base() -> None:
    assert _own_strict_configs() == []


@dataclass(frozen=True, slots=True)
class _Part:
    name: str
    ms: float = field(metadata={"description": "median, in ms"})
    runs: int | None = 1


@dataclass(frozen=True)
class _Whole:
    parts: list[_Part]
    note: str = ""


def test_a_generated_model_has_the_dataclass_fields_types_defaults_and_descriptions() -> None:
    part = model_of(_Part)
    assert list(part.model_fields) == ["name", "ms", "runs"]
    schema = part.model_json_schema()
    assert schema["title"] == "_Part" and schema["required"] == ["name", "ms"]
    assert schema["properties"]["ms"]["description"] == "median, in ms"
    assert schema["additionalProperties"] is False
    assert part.model_validate({"name": "conv", "ms": 1.5}).runs == 1
    with pytest.raises(ValidationError, match="runs"):
        part.model_validate({"name": "conv", "ms": 1.5, "runs": "many"})
    with pytest.raises(ValidationError, match="extra"):
        part.model_validate({"name": "conv", "ms": 1.5, "typo": 1})


def test_required_omit_types_and_base_shape_the_generated_model() -> None:
    part = model_of(_Part, required=True)
    whole = model_of(_Whole, name="Whole", doc="All parts.", types={"parts": list[part]})
    assert part.model_json_schema()["required"] == ["name", "ms", "runs"]
    with pytest.raises(ValidationError, match="runs"):
        whole.model_validate({"parts": [{"name": "conv", "ms": 1.0}]})
    assert whole.model_json_schema()["description"] == "All parts."
    assert whole.__module__ == __name__

    class Base(Strict):
        op: str

    merged = model_of(_Part, base=Base, omit=("name",), descriptions=False)
    assert list(merged.model_fields) == ["op", "ms", "runs"]
    assert "description" not in merged.model_json_schema()["properties"]["ms"]


def test_the_inspect_cost_parts_follow_the_cost_model() -> None:
    """A field added to the cost dataclasses is in the inspect document and its schema without a second edit."""
    op = cost.OpCost(0, 3, "CONV_2D", 10, 20, 30, 40, "int8")
    whole = cost.ModelCost(10, 20, 30, False, [op])
    assert documents.Cost.model_validate(whole.to_dict()).ops[0].model_dump() == op.to_dict()
    op_fields = [f.name for f in fields(cost.OpCost)]
    assert list(documents.OpCost.model_fields) == list(op.to_dict()) == op_fields
    assert list(documents.Cost.model_fields) == list(whole.to_dict()) == list(cost.MODEL_COST_FIELDS)
    assert set(documents.OpWithCost.model_fields) == set(documents.Operator.model_fields) | set(op_fields)


def test_the_check_runtime_outcome_part_follows_the_library_record_but_for_its_outputs() -> None:
    from toolkit.targets import documents as check_documents
    from toolkit.targets.runtime_outcome import RuntimeOutcome

    ran = RuntimeOutcome("tflm@1024", "TFLM", "tflm", "host-run", "runs", arena_bytes=900, outputs=({"min": 0},))
    part = check_documents.RuntimeOutcome.model_validate(ran, from_attributes=True)
    assert "outputs" not in part.model_dump() and part.arena_bytes == 900 and part.provenance == "host-run"
    assert list(part.model_dump()) == [f for f in RuntimeOutcome.__dataclass_fields__ if f != "outputs"]
    with pytest.raises(ValidationError, match="provenance"):
        check_documents.RuntimeOutcome.model_validate(
            RuntimeOutcome("x", "x", "x", "guessed", "runs"), from_attributes=True)  # type: ignore[arg-type]


def test_the_check_finding_part_is_the_rules_finding_plus_its_fix() -> None:
    from toolkit.targets import documents as check_documents
    from toolkit.targets.finding import Finding

    seen = Finding("op_not_in_table", "error", "HARD_SWISH v1 has no kernel", op="HARD_SWISH", subgraph=0, op_index=7)
    part = check_documents.CheckFinding.of(seen).model_dump()
    assert list(part) == [*Finding.__dataclass_fields__, "fix"]
    assert part["op_index"] == 7 and part["fix"] == seen.fix
    schema = check_documents.CheckFinding.model_json_schema()
    assert schema["required"] == ["rule", "severity", "message"]
    assert schema["properties"]["severity"]["enum"] == ["error", "fallback", "warning"]


def test_the_check_delegate_part_follows_the_delegate_verdict_and_keeps_its_presence_rules() -> None:
    from toolkit.targets import documents as check_documents
    from toolkit.targets.delegate_verdict import DelegateReason, DelegateVerdict

    table = DelegateVerdict("gpu", "partial", ["GATHER"], 2, "op-table", [DelegateReason("GATHER", "rank 5")], "t")
    run = DelegateVerdict("gpu", "full", [], 1, "accelerator-run", [], "run", predicted=table)
    alone = check_documents.Delegate.model_validate(table.document_fields()).model_dump(exclude_unset=True)
    assert list(alone) == ["name", "coverage", "ops_on_cpu", "partitions", "evidence", "reasons", "source"]
    ran = check_documents.Delegate.model_validate(run.document_fields()).model_dump(exclude_unset=True)
    assert ran["prediction_wrong"] is True and ran["predicted"]["reasons"] == [{"op": "GATHER", "message": "rank 5"}]
    assert "prediction_wrong" not in ran["predicted"] and ran["predicted"]["predicted"] is None
    schema = check_documents.CheckDocument.model_json_schema()["$defs"]["Delegate"]
    assert schema["required"] == ["name", "coverage", "ops_on_cpu", "partitions", "evidence", "reasons", "source"]
    with pytest.raises(ValidationError, match="coverage"):
        check_documents.Delegate.model_validate({**table.document_fields(), "coverage": "most"})


def test_the_views_emit_exactly_the_fields_of_their_generated_document_parts() -> None:
    """The views' hand-written to_dict() (kept for speed) and the dataclass fields cannot drift apart."""
    from benchmarks.corpus import corpus_model
    from toolkit.model import load_model

    with load_model(corpus_model("pymicro_wakeword/alexa.tflite")) as model:
        sg = model.subgraphs[0]
        quantized = next(t for t in sg.tensors if t.quantization is not None)
        pairs = [(documents.Tensor, quantized.to_dict()), (documents.Quantization, quantized.quantization.to_dict()),
                 (documents.Subgraph, sg.to_dict())]
        pairs += [(documents.Signature, s.to_dict()) for s in model.signatures]
        for part, emitted in pairs:
            assert list(emitted) == list(part.model_fields), part.__name__
            part.model_validate(emitted, strict=True)  # JSON arrays where the views hold tuples


def test_the_convert_document_is_the_conversion_report_with_its_schema_and_legacy() -> None:
    from toolkit.convert.documents import ConversionReport, ConvertDocument, RuntimeCheck

    report = ConversionReport("m.h5", "m.tflite", "keras", ops={"ADD": 1}, rnn_form="fused",
                              numerics=[RuntimeCheck(runtime="litert", ok=True)],
                              targets=[{"target": "t", "verdict": "runs", "findings": []}])
    assert list(ConvertDocument.model_fields) == ["schema_", *ConversionReport.__dataclass_fields__, "legacy"]
    doc = report.to_json()
    assert list(doc) == ["schema", *ConversionReport.__dataclass_fields__]
    assert ConvertDocument.model_validate(doc, strict=True).numerics[0].runtime == "litert"
    required = ConvertDocument.model_json_schema(by_alias=True)["required"]
    assert "notes" not in required and "numerics_verdict" not in required and "targets" in required
    with pytest.raises(ValidationError, match="rnn_form"):
        ConvertDocument.model_validate({**doc, "rnn_form": "unrolled"})


def test_the_compare_numerics_part_is_the_result_plus_its_extremes_per_side() -> None:
    from toolkit.report import documents as compare_documents
    from toolkit.report.numerics_result import Numerics, OutputDiff

    num = Numerics(0, 1e-4, 1e-3, "ok", "ok", diffs=[OutputDiff(0, "old", [1, 2], 0.5, 0.01, False),
                                                     OutputDiff(1, "old", [3], 0.2, 0.09, True)])
    part = compare_documents.Numerics.of(num).model_dump()
    assert list(part)[:7] == list(Numerics.__dataclass_fields__)
    assert (part["max_abs_vs_old"], part["max_rel_vs_old"], part["max_abs_vs_reference"]) == (0.5, 0.09, None)
    assert part["diffs"][1] == {"index": 1, "against": "old", "shape": [3], "max_abs": 0.2, "max_rel": 0.09,
                                "within": True}
    assert "max_rel_vs_reference" in compare_documents.Numerics.model_json_schema()["required"]


def test_the_bench_finding_part_follows_the_library_finding() -> None:
    from toolkit.bench import documents as bench_documents
    from toolkit.bench.finding import BenchFinding

    seen = BenchFinding("arena-exceeds-ram", "error", "arena 300 KB > RAM 256 KB")
    assert bench_documents.Finding.model_validate(seen.to_dict(), strict=True).severity == "error"
    assert list(bench_documents.Finding.model_fields) == list(seen.to_dict())
    with pytest.raises(ValidationError, match="severity"):
        bench_documents.Finding.model_validate({**seen.to_dict(), "severity": "fatal"})


def test_the_bench_options_part_follows_bench_options() -> None:
    from pathlib import Path

    from toolkit.bench import documents as bench_documents
    from toolkit.bench.options import BenchOptions

    asked = BenchOptions(runs=3, inputs=Path("in.npz"), per_op=True)
    part = bench_documents.Options.model_validate(asked.to_dict(), strict=True)
    assert part.inputs == "in.npz" and part.per_op is True and part.accelerator is None
    assert list(bench_documents.Options.model_fields) == list(BenchOptions.__dataclass_fields__)
    with pytest.raises(ValidationError, match="arena_bytes"):
        bench_documents.Options.model_validate({k: v for k, v in asked.to_dict().items() if k != "arena_bytes"})
