"""`report` reads the document versions this edgetk writes and refuses other versions by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.errors import BadInputError, ExitCode
from toolkit.report.inputs import load_results


@pytest.mark.parametrize("name", ["edgetk.check", "edgetk.bench", "edgetk.compare", "edgetk.convert"])
def test_a_newer_document_version_is_refused_by_name(name: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"schema": f"{name}/99"}))
    with pytest.raises(BadInputError, match=rf"{name}/99 documents are not read .*it reads {name}/1") as info:
        load_results([path])
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_the_current_versions_load(tmp_path: Path, make_model) -> None:
    """Changed deliberately: `report` validates whole documents, so a bare {"schema": ...} no longer loads
    (tests/report/test_report_inputs.py asserts that); real documents of the current versions do."""
    from toolkit.model import load_model
    from toolkit.report.compare import compare_models
    from toolkit.targets import check_model

    model = make_model("m.tflite")
    with load_model(model) as loaded:
        check = check_model(loaded, ["cortex-m4"]).to_dict()
    docs = {"check.json": check, "compare.json": compare_models(model, model).to_dict(),
            "bare.json": {"schema": "edgetk.bench/1"}}
    for name, doc in docs.items():
        (tmp_path / name).write_text(json.dumps(doc))
    assert [d["schema"] for d in load_results([tmp_path / "check.json", tmp_path / "compare.json"])] == [
        "edgetk.check/1", "edgetk.compare/1"]
    with pytest.raises(BadInputError, match=r"bare.json: not a valid edgetk.bench/1 document: field \w+: Field "
                                            r"required \(and \d+ more\)"):
        load_results([tmp_path / "bare.json"])
