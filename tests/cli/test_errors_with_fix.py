"""Bad input ends in one line that names the fix: a typo'd path, a model that needs converting first, a
near-miss target/device/function name, a device inventory with nothing in it, a runtime that is not
installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.errors import MissingDependencyError, UnknownNameError, did_you_mean

KERAS = """
import sys, keras
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
m.save(sys.argv[1] + "/tiny.keras"); m.save(sys.argv[1] + "/tiny.h5"); m.export(sys.argv[1] + "/saved")
"""


@pytest.fixture(scope="module")
def keras_files() -> Path:
    """A real .keras, .h5 and SavedModel, written by Keras once (cached: TF takes ~10 s to import)."""
    cache = Path(os.environ["EDGETK_CACHE"]) / "test-models" / "keras-formats-v1"
    if not (cache / "saved" / "saved_model.pb").is_file():
        tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", KERAS, str(tmp)], check=True, capture_output=True, timeout=300)
        shutil.rmtree(cache, ignore_errors=True)
        tmp.rename(cache)
    return cache


def _one_error_line(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert proc.returncode == code and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_typo_in_a_path_says_no_such_file_and_the_near_name(run_cli, tmp_path: Path) -> None:
    shutil.copy(corpus_model("mediapipe/face_detection_short_range.tflite"), tmp_path / "face.tflite")
    for verb in (["inspect"], ["check", "-t", "host-x86_64"]):
        line = _one_error_line(run_cli(*verb, "fcae.tflite", cwd=tmp_path))
        assert line == "error: fcae.tflite: no such file (did you mean face.tflite?)"
    assert "no such file (no directory nowhere)" in _one_error_line(run_cli("inspect", "nowhere/m.tflite"))


def test_savedmodel_keras_and_h5_say_convert_first(run_cli, keras_files: Path, tmp_path: Path) -> None:
    for name, what in (("saved", "a SavedModel directory"), ("tiny.keras", "a Keras model"),
                       ("tiny.h5", "a Keras HDF5 model")):
        line = _one_error_line(run_cli("inspect", keras_files / name))
        stem = Path(name).stem
        assert f"is {what}" in line and f"run `edgetk convert {keras_files / name} -o {stem}.tflite` first" in line
    renamed = tmp_path / "model.tflite"  # a .keras file renamed: recognised by its content, not its name
    shutil.copy(keras_files / "tiny.keras", renamed)
    line = _one_error_line(run_cli("check", renamed, "-t", "cortex-m4"))
    assert "is a Keras model" in line and "-o model-converted.tflite" in line


def test_convert_says_no_such_file_before_importing_tensorflow(run_cli, keras_files: Path, tmp_path: Path) -> None:
    shutil.copy(keras_files / "tiny.keras", tmp_path / "tiny.keras")
    line = _one_error_line(run_cli("convert", "tiyn.keras", "-o", "out.tflite", cwd=tmp_path))
    assert line == "error: tiyn.keras: no such file or directory (did you mean tiny.keras?)"
    shutil.copy(corpus_model("mediapipe/face_detection_short_range.tflite"), tmp_path / "face.tflite")
    line = _one_error_line(run_cli("convert", "face.tflite", "-o", "out.tflite", cwd=tmp_path))
    assert "face.tflite is already a .tflite model: inspect or check it directly (`edgetk inspect face.tflite`" in line
    assert not (tmp_path / "out.tflite").exists()


def test_a_near_miss_target_is_suggested(run_cli) -> None:
    model = corpus_model("mediapipe/face_detection_short_range.tflite")
    line = _one_error_line(run_cli("check", model, "-t", "rpi4"))
    assert "unknown target 'rpi4' (did you mean rpi4-arm64? known: android-arm64," in line
    assert "did you mean" not in _one_error_line(run_cli("check", model, "-t", "pdp-11"))


def test_unknown_device_in_an_empty_inventory_points_to_devices_add(run_cli, tmp_path: Path) -> None:
    inventory = tmp_path / "devices.toml"
    inventory.write_text("")
    model = corpus_model("mediapipe/face_detection_short_range.tflite")
    line = _one_error_line(run_cli("bench", model, "--device", "pi", "--inventory", inventory))
    assert "unknown device" in line and "add one with `edgetk devices add pi --target T" in line
    missing = _one_error_line(run_cli("bench", model, "--device", "pi", "--inventory", tmp_path / "nope.toml"))
    assert "does not exist (create it with `edgetk devices add NAME" in missing


def test_a_missing_function_lists_the_functions_that_exist(tmp_path: Path) -> None:
    from toolkit.convert.frontends import PythonFrontend
    from toolkit.convert.options import ConvertOptions

    src = tmp_path / "models.py"
    src.write_text("import os\n\ndef build_model():\n    pass\n\ndef build_lstm():\n    pass\n")
    with pytest.raises(UnknownNameError) as info:
        PythonFrontend().load(f"{src}:build_mdoel", ConvertOptions())
    assert info.value.suggestions == ["build_model"] and "known: build_lstm, build_model" in info.value.message
    assert "os" not in info.value.known


def test_did_you_mean_prefixes_and_typos() -> None:
    known = ["cortex-m4", "cortex-m7", "rpi4-arm64", "rpi5-arm64"]
    assert did_you_mean("rpi4", known) == ["rpi4-arm64"]
    assert did_you_mean("cortex", known) == ["cortex-m4", "cortex-m7"]
    assert did_you_mean("cortex-m44", known)[0] == "cortex-m4" and did_you_mean("xyz", known) == []


BLOCKED_RUNNER = """
import runpy, sys
sys.modules["ai_edge_litert"] = None  # this interpreter behaves as if the package were not installed
sys.argv = ["runner.py", *sys.argv[1:]]
runpy.run_path(RUNNER, run_name="__main__")
"""


def test_a_missing_runtime_is_exit_3_with_the_pip_command(tmp_path: Path) -> None:
    """The device-side runner in a child whose Python cannot import ai_edge_litert (blocked in sys.modules,
    the state of a machine without the package), classified as the CLI classifies every runner result."""
    import toolkit.runtimes.runner as runner_module
    from toolkit.bench.orchestrate import parse_runner_output
    from toolkit.errors import ExitCode
    from toolkit.transports.base import RunResult

    model = corpus_model("mediapipe/face_detection_short_range.tflite")
    code = BLOCKED_RUNNER.replace("RUNNER", repr(runner_module.__file__))
    proc = subprocess.run([sys.executable, "-c", code, "--model", str(model), "--runtime", "litert", "--runs", "1"],
                          capture_output=True, text=True, timeout=120, check=False)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert doc["error"]["kind"] == "missing-runtime"
    with pytest.raises(MissingDependencyError) as info:
        parse_runner_output(RunResult(("runner.py",), proc.returncode, proc.stdout, proc.stderr, 1.0),
                            "face.tflite", "host-x86_64")
    assert info.value.exit_code == ExitCode.MISSING_DEPENDENCY == 3
    assert "install it with `pip install ai-edge-litert`" in info.value.message


def test_near_miss_option_values_are_suggested(run_cli, keras_files: Path) -> None:
    model = corpus_model("mediapipe/face_detection_short_range.tflite")
    runtime = _one_error_line(run_cli("bench", model, "-t", "host-x86_64", "--runtime", "litertt", "--no-store"))
    assert "unknown runtime 'litertt' (did you mean litert?" in runtime
    kernels = _one_error_line(run_cli("bench", model, "-t", "cortex-m4", "--kernels", "cmsis", "--no-store"))
    assert "did you mean cmsis-nn?" in kernels
    fmt = _one_error_line(run_cli("convert", keras_files / "tiny.keras", "-o", "x.tflite", "--format", "kears"))
    assert "unknown --format 'kears' (did you mean keras?" in fmt
