"""The distribution works from a built wheel, installed in a fresh venv outside the checkout.

The wheel is built from a copy of this tree (descriptors and op tables live in toolkit/targets/shipped/, a
real directory of package data), installed with its dependencies resolved by pip (the machine's package index; the runtime and
converter extras are NOT installed), and the console script is run from another directory on a
third-party model. This is the path `pip install edgetk` users and the CI example take.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "toolkit" / "targets" / "shipped"
_IGNORE = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache",
                                 ".ruff_cache", "demo-out", "out")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("wheel")
    src, dist, venv = root / "src", root / "dist", root / "venv"
    shutil.copytree(REPO, src, symlinks=True, ignore=_IGNORE)
    pip_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                   check=True, timeout=600, env=pip_env, cwd=root)
    wheel = next(dist.glob("edgetk-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, cwd=root)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
                   check=True, timeout=1200, env=pip_env, cwd=root)
    work = root / "elsewhere"
    work.mkdir()
    model = work / "selfie_segmentation.tflite"
    shutil.copyfile(corpus_model("mediapipe/selfie_segmentation.tflite"), model)
    return {"wheel": wheel, "venv": venv, "work": work, "model": model, "home": root / "home"}


def _edgetk(installed: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EDGETK_TARGETS_PATH")}
    env["EDGETK_HOME"] = str(installed["home"])
    return subprocess.run([str(installed["venv"] / "bin" / "edgetk"), *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=installed["work"])


def test_wheel_carries_every_descriptor_and_op_table(installed: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    expected = {str(p.relative_to(REPO)) for p in [*SHIPPED.glob("*.toml"), *(SHIPPED / "optables").glob("*.json")]}
    assert expected and expected <= names, sorted(expected - names)
    assert "toolkit/runtimes/runner.py" in names
    data = {str(p.relative_to(REPO)) for p in (REPO / "toolkit").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert "toolkit/bench/mcu_coefficients.toml" in data and data <= names, sorted(data - names)


def test_installed_package_is_the_wheel_and_has_no_tensorflow(installed: dict[str, Path]) -> None:
    py = str(installed["venv"] / "bin" / "python")
    where = subprocess.run([py, "-c", "import toolkit; print(toolkit.__file__)"], capture_output=True, text=True,
                           cwd=installed["work"], check=True, env={"PATH": os.environ["PATH"]})
    assert where.stdout.startswith(str(installed["venv"])), where.stdout
    for module in ("tensorflow", "tflite_runtime", "tflite_micro"):
        probe = subprocess.run([py, "-c", f"import {module}"], capture_output=True, text=True,
                               env={"PATH": os.environ["PATH"]})
        assert probe.returncode != 0, f"{module} should not be installed by the core wheel"


def test_targets_list_from_the_wheel(installed: dict[str, Path]) -> None:
    proc = _edgetk(installed, "targets", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["targets"]  # an edgetk.targets/1 document (was a bare list)
    assert {r["name"] for r in rows} >= {p.stem for p in SHIPPED.glob("*.toml")}
    assert all(r["file"].startswith(str(installed["venv"])) for r in rows), rows


def test_inspect_from_the_wheel(installed: dict[str, Path]) -> None:
    proc = _edgetk(installed, "inspect", str(installed["model"]), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "edgetk.inspect/1"
    assert doc["op_counts"]["CONV_2D"] == 43


def test_check_from_the_wheel_uses_the_shipped_op_tables(installed: dict[str, Path]) -> None:
    proc = _edgetk(installed, "check", str(installed["model"]), "-t", "cortex-m4", "-t", "host-x86_64", "--json")
    assert proc.returncode == 1, proc.stderr  # the MediaPipe custom op does not exist in TFLM
    doc = json.loads(proc.stdout)
    verdicts = {r["target"]: r["verdict"] for r in doc["results"]}
    assert verdicts["cortex-m4"] == "does-not-run"
    m4 = next(r for r in doc["results"] if r["target"] == "cortex-m4")
    assert any(f["op"] == "Convolution2DTransposeBias" for f in m4["findings"])


def test_missing_runtime_extra_is_exit_3_with_the_pip_command(installed: dict[str, Path]) -> None:
    proc = _edgetk(installed, "targets", "probe", "-r", "tflite-runtime")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "pip install 'edgetk[tflite-runtime]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(installed["home"].rglob("tflite-runtime.json")), "no table may be written for a missing runtime"


def test_missing_converter_extra_is_exit_3_with_the_pip_command(installed: dict[str, Path]) -> None:
    source = installed["work"] / "tiny_model.py"
    source.write_text("def build():\n    import tensorflow as tf\n    return tf.keras.Sequential()\n")
    proc = _edgetk(installed, "convert", f"{source}:build", "-o", str(installed["work"] / "out.tflite"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "pip install 'edgetk[convert]'" in proc.stderr
    assert "Traceback" not in proc.stderr
