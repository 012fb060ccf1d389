"""examples/ci: gate.sh run for real on emulated targets, and the example workflow's structure.

The gate runs the installed `edgetk` (this venv's, first on PATH) on two tiny models converted once and
cached: a baseline and a copy of it must pass; a model that adds GELU (which TFLite Micro lacks) must fail
with exit 1 and a JUnit failure on cortex-m4.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "examples" / "ci"
MODELS = Path(__file__).resolve().parent / "ci_models.py"
SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache"))


@pytest.fixture(scope="session")
def ci_models() -> dict[str, Path]:
    """baseline / gelu .tflite, converted with one TensorFlow process and cached by the models' hash."""
    from toolkit.convert import ConvertOptions
    from toolkit.convert.api import convert_many

    out = Path(SHARED_CACHE) / "test-models" / f"ci-gate-{hashlib.sha256(MODELS.read_bytes()).hexdigest()[:12]}"
    models = {name: out / f"{name}.tflite" for name in ("baseline", "gelu")}
    if not all(p.exists() for p in models.values()):
        out.mkdir(parents=True, exist_ok=True)
        results = convert_many([(f"{MODELS}:{name}", path, ConvertOptions()) for name, path in models.items()])
        for result in results:
            assert not isinstance(result, Exception), result
    return models


def _gate(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", str(CI / "gate.sh"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


def _cases(junit: Path) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}


@pytest.mark.slow
def test_gate_passes_on_an_identical_model(ci_models: dict[str, Path], tmp_path: Path) -> None:
    new = tmp_path / "new model.tflite"  # a space: argv-safe all the way through
    shutil.copy2(ci_models["baseline"], new)
    proc = _gate("--target", "rpi4-arm64", "--target", "cortex-m4", "--rounds", "4", "--runs", "5",
                 "--threshold", "0.5", "--out", tmp_path / "out", new, ci_models["baseline"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "gate: PASS" in proc.stdout
    out = tmp_path / "out"
    assert not any(case.find("failure") is not None for case in _cases(out / "compare.junit.xml").values())
    timed = json.loads((out / "compare-bench.json").read_text())
    assert {row["target"] for row in timed["latency"]} == {"rpi4-arm64", "cortex-m4"}
    assert timed["verdict"] == "pass" and timed["numerics"]["max_abs_vs_old"] == 0
    rows = {row["target"]: row for row in timed["latency"]}  # the gate gates on measured or estimated only
    assert (rows["rpi4-arm64"]["timing"], rows["rpi4-arm64"]["verdict_timing"]) == ("emulated", "emulated")
    assert (rows["cortex-m4"]["timing"], rows["cortex-m4"]["verdict_timing"]) == ("host-run", "estimated")
    assert rows["cortex-m4"]["estimate"]["new_ms"] == rows["cortex-m4"]["estimate"]["old_ms"] > 0
    assert all(f["severity"] != "regression" or f["timing"] in ("measured", "estimated")
               for f in timed["findings"] if f["kind"] == "latency")
    props = {p.get("name"): p.get("value") for p in _cases(out / "compare-bench.junit.xml")[
        f"{new.name} on rpi4-arm64"].iter("property")}
    assert props["latency_timing"] == "emulated"
    assert "<svg" in (out / "compare-bench.html").read_text()


@pytest.mark.slow
def test_gate_fails_when_the_new_model_needs_an_op_the_mcu_lacks(ci_models: dict[str, Path], tmp_path: Path) -> None:
    proc = _gate("--out", tmp_path / "out", ci_models["gelu"], ci_models["baseline"], cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "gate: REGRESSION in op support or numerics" in proc.stdout
    out = tmp_path / "out"
    cases = _cases(out / "compare.junit.xml")
    [m4] = [c for name, c in cases.items() if name.endswith("on cortex-m4")]
    [pi] = [c for name, c in cases.items() if name.endswith("on rpi4-arm64")]
    assert m4.find("failure") is not None and "GELU" in ET.tostring(m4, encoding="unicode")
    assert pi.find("failure") is None
    check = json.loads((out / "check.json").read_text())
    assert {r["target"]: r["verdict"] for r in check["results"]} == {"rpi4-arm64": "runs", "cortex-m4": "does-not-run"}
    assert not (out / "compare-bench.json").exists()  # a support regression stops the gate before timing


@pytest.mark.slow
def test_gate_times_only_where_both_models_run(ci_models: dict[str, Path], tmp_path: Path) -> None:
    """Both models lack TFLM's GELU: cortex-m4 is no regression, and compare --bench skips it with a finding."""
    new = tmp_path / "gelu copy.tflite"
    shutil.copy2(ci_models["gelu"], new)
    proc = _gate("--target", "host-x86_64", "--target", "cortex-m4", "--rounds", "2", "--runs", "3",
                 "--threshold", "0.5", "--out", tmp_path / "out", new, ci_models["gelu"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    timed = json.loads((tmp_path / "out" / "compare-bench.json").read_text())
    assert [row["target"] for row in timed["latency"]] == ["host-x86_64"]
    [skip] = [f for f in timed["findings"] if f["kind"] == "latency-skipped"]
    assert skip["target"] == "cortex-m4" and skip["side"] == "both" and "GELU: no kernel" in skip["message"]


def test_gate_refuses_bad_usage(tmp_path: Path) -> None:
    proc = _gate("only-one.tflite", cwd=tmp_path)
    assert proc.returncode == 2 and "gate.sh" in proc.stderr
    proc = _gate("--bogus", "a.tflite", "b.tflite", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown option --bogus" in proc.stderr


def test_gate_passes_edgetk_errors_through(tmp_path: Path) -> None:
    """A missing model is not a regression: the gate exits with edgetk's own code (2, bad input)."""
    proc = _gate("--no-bench", "--out", tmp_path / "out", tmp_path / "missing.tflite", tmp_path / "b.tflite",
                 cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "edgetk check could not run (exit 2)" in proc.stderr


def _workflow() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((CI / "github-actions.yml").read_text())


def test_workflow_parses_and_gates_on_emulated_targets() -> None:
    doc = _workflow()
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert "pull_request" in on
    [job] = doc["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert any("edgetk emulator build arm64" in r for r in runs)
    [gate] = [r for r in runs if "gate.sh" in r]
    assert "--target rpi4-arm64" in gate and "--target cortex-m4" in gate
    uploads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["if"] == "always()" and "junit.xml" in uploads[0]["with"]["path"]
    cached = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache")]
    assert cached and cached[0]["with"]["path"].endswith("emulator")


def test_workflow_references_only_files_that_exist() -> None:
    doc = _workflow()
    [job] = doc["jobs"].values()
    texts = [step["run"] for step in job["steps"] if "run" in step] + [str(v) for v in job["env"].values()]
    paths = {m.group(0).split(":")[0] for t in texts for m in re.finditer(r"\b(?:examples|scripts|toolkit)/[\w./-]+", t)}
    assert {"examples/ci/gate.sh", "examples/ci/baseline/lstm_fused.tflite", "examples/lstm_story/model.py"} <= paths
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert not missing, missing


def test_workflow_apt_packages_are_the_projects_system_deps() -> None:
    [job] = _workflow()["jobs"].values()
    [apt] = [s["run"] for s in job["steps"] if "apt-get install" in s.get("run", "")]
    wanted = set(apt.split("--no-install-recommends", 1)[1].split())
    deps = re.search(r"pkgs=\(([^)]*)\)", (REPO / "scripts" / "system-deps.sh").read_text())
    assert wanted == {"qemu-user-static", "mmdebstrap", "zstd"} and wanted <= set(deps.group(1).split())


def test_workflow_installs_a_regular_package_with_the_extras_it_uses() -> None:
    """The workflow converts (TensorFlow) and benches on TFLM: a non-editable install needs [all]."""
    import tomllib

    [job] = _workflow()["jobs"].values()
    [install] = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
    assert " -e " not in f" {install} " and '".[all]"' in install
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"convert", "tflm"} <= {e for spec in extras["all"] for e in spec.split("[")[1].rstrip("]").split(",")}
