"""`report` reads the document versions this edgetk writes and refuses other versions by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.errors import BadInputError, ExitCode
from toolkit.report.html import load_results


@pytest.mark.parametrize("name", ["edgetk.check", "edgetk.bench", "edgetk.compare", "edgetk.convert"])
def test_a_newer_document_version_is_refused_by_name(name: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"schema": f"{name}/99"}))
    with pytest.raises(BadInputError, match=rf"{name}/99 documents are not read .*it reads {name}/1") as info:
        load_results([path])
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_the_current_versions_load(tmp_path: Path) -> None:
    paths = []
    for name in ("edgetk.check/1", "edgetk.bench/1", "edgetk.compare/1", "edgetk.convert/1"):
        paths.append(tmp_path / f"{name.split('.')[1].split('/')[0]}.json")
        paths[-1].write_text(json.dumps({"schema": name}))
    assert [d["schema"] for d in load_results(paths)] == ["edgetk.check/1", "edgetk.bench/1", "edgetk.compare/1",
                                                          "edgetk.convert/1"]
