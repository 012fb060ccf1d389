"""Every `--json` output is an object with a registered `schema` name that docs/schemas/ documents.

Each command runs as a real child process; the bench/results ones store one real LiteRT run on this host.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.schemas import SCHEMAS

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "schemas"


def _doc(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert isinstance(doc, dict) and next(iter(doc)) == "schema", proc.stdout[:200]
    return doc


def test_every_registered_schema_is_documented_in_its_file_and_the_index() -> None:
    index = (DOCS / "README.md").read_text()
    for name, (_command, file) in SCHEMAS.items():
        assert f"`{name}`" in (DOCS / file).read_text(), (name, file)
        assert f"`{name}`" in index, name


@pytest.fixture(scope="module")
def model() -> Path:
    return corpus_model("mediapipe/face_detection_short_range.tflite")


def test_json_outputs_carry_their_schema(run_cli, model: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "devices.toml"
    inventory.write_text('[devices.here]\ntarget = "host-x86_64"\ntransport = "local"\n')
    db = tmp_path / "results.db"
    runs = {
        ("inspect", str(model), "--json"): "edgetk.inspect/1",
        ("check", str(model), "-t", "host-x86_64", "--json"): "edgetk.check/1",
        ("bench", str(model), "-t", "host-x86_64", "--runs", "2", "--warmup", "0", "--db", str(db), "--json"):
            "edgetk.bench/1",
        ("results", "list", "--db", str(db), "--json"): "edgetk.results-list/2",
        ("results", "show", "1", "--db", str(db)): "edgetk.result/1",
        ("results", "trend", model.name, "-t", "host-x86_64", "--db", str(db), "--json"): "edgetk.results-trend/1",
        ("results", "export", "--format", "json", "--db", str(db)): "edgetk.results/2",
        ("targets", "list", "--json"): "edgetk.targets/1",
        ("targets", "show", "rpi5-arm64", "--json"): "edgetk.target/1",
        ("devices", "list", "--inventory", str(inventory), "--json"): "edgetk.devices/1",
        ("devices", "check", "here", "--inventory", str(inventory), "--json"): "edgetk.device-facts/1",
        ("emulator", "list", "--json"): "edgetk.emulator-images/1",
        ("legacy", "status", "--json"): "edgetk.legacy-status/1",
    }
    for argv, schema in runs.items():
        doc = _doc(run_cli(*argv))
        assert doc["schema"] == schema and schema in SCHEMAS, argv
    listing = _doc(run_cli("targets", "list", "--json"))
    assert "cortex-m4" in {t["name"] for t in listing["targets"]}
    devices = _doc(run_cli("devices", "list", "--inventory", str(inventory), "--json"))
    assert [d["name"] for d in devices["devices"]] == ["here"]


def test_help_shows_full_choices_and_h_works(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for argv in (["-h"], ["convert", "-h"], ["check", "--help"], ["results", "list", "-h"]):
        proc = run_cli(*argv)
        assert proc.returncode == 0 and proc.stdout.startswith("Usage: edgetk"), (argv, proc.stderr)
        assert "…" not in proc.stdout and max(map(len, proc.stdout.splitlines())) <= 80, proc.stdout
    convert = " ".join(run_cli("convert", "-h").stdout.split())
    assert "none | dynamic | float16 | int8 | int16x8" in convert and "--allow-resource-variables" in convert


def test_shell_completion_is_installable_and_completes(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    # name the shell: typer otherwise detects it from the parent processes (sh under `make test` -> "Shell sh
    # is not supported"); with detection off `--install-completion` takes the shell as its value, as typer's
    # own tests do
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    proc = run_cli("--install-completion", "bash")
    assert proc.returncode == 0, proc.stderr
    script = tmp_path / ".bash_completions" / "edgetk.sh"
    assert script.is_file() and "_EDGETK_COMPLETE" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()
    monkeypatch.setenv("_EDGETK_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "edgetk check m.tflite --all")
    monkeypatch.setenv("COMP_CWORD", "3")
    assert run_cli().stdout.split() == ["--all-targets"]
