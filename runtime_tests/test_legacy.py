"""The old converter for real: TF 2.17.1's TOCO in its cached env vs the MLIR converter (TF 2.21).

Creates the legacy environment once (cached in the shared test cache, ≈45 s the first time), builds a
small conv net and a small Keras LSTM with the Keras 2 API (tf-keras, saved as .h5, a form both
TF 2.17 and TF 2.21 read), converts each both ways and asserts what compare reports: the producers,
the op lists as they really come out, and TOCO's failure on the LSTM as a finding.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.convert.legacy import TOCO_PRODUCER, convert_legacy, setup_legacy_env
from toolkit.model import load_model
from toolkit.report.compare import compare_models

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache")))

BUILD = r"""
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tf_keras as keras
keras.utils.set_random_seed(0)
out = sys.argv[1]
conv = keras.Sequential([keras.Input((16, 16, 1), batch_size=1), keras.layers.Conv2D(4, 3, activation="relu"),
                         keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(3)])
lstm = keras.Sequential([keras.Input((8, 4), batch_size=1), keras.layers.LSTM(6), keras.layers.Dense(2)])
conv.save(os.path.join(out, "conv.h5"))
lstm.save(os.path.join(out, "lstm.h5"))
conv.save(os.path.join(out, "conv_savedmodel"), save_format="tf")
"""

FUNCTION_SOURCE = '''
import tensorflow as tf


def scaled_relu():
    return tf.function(lambda x: tf.nn.relu(x) * 2.0, input_signature=[tf.TensorSpec([1, 4], tf.float32)])
'''


FN_OPS = {"RELU": 1, "MUL": 1}  # TOCO keeps relu then scale, as measured


@pytest.fixture(scope="session")
def legacy_env() -> Path:
    with pytest.MonkeyPatch.context() as mp:  # session scope: the autouse per-test fixture is not active yet
        mp.setenv("EDGETK_CACHE", str(CACHE))
        return setup_legacy_env()


@pytest.fixture(scope="session")
def sources() -> Path:
    """Keras sources, built once by TF 2.21's tf-keras in a child process and cached by script hash."""
    out = CACHE / "test-models" / f"legacy-{hashlib.sha256(BUILD.encode()).hexdigest()[:12]}"
    if not (out / "conv_savedmodel" / "saved_model.pb").exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", BUILD, str(out)], check=True, capture_output=True, timeout=600)
    return out


@pytest.fixture(scope="session")
def mlir_models(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The new converter's output via the real `edgetk convert` CLI."""
    out = tmp_path_factory.mktemp("mlir")
    models = {}
    for name in ("conv", "lstm"):
        models[name] = out / f"{name}.tflite"
        proc = subprocess.run([sys.executable, "-m", "toolkit.cli", "convert", str(sources / f"{name}.h5"), "-o",
                               str(models[name])], capture_output=True, text=True, timeout=600, cwd=REPO)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return models


def test_conv_net_both_ways(legacy_env: Path, sources: Path, mlir_models: dict[str, Path], tmp_path: Path) -> None:
    old = convert_legacy(sources / "conv.h5", tmp_path / "toco.tflite")
    assert old.ok and old.producer == TOCO_PRODUCER and old.tf_version == "2.17.1"
    assert load_model(old.output).op_counts() == {"DEPTHWISE_CONV_2D": 1, "MAX_POOL_2D": 1, "FULLY_CONNECTED": 1}
    cmp = compare_models(mlir_models["conv"], old, targets=["host-x86_64", "cortex-m4"])
    assert cmp.new.producer == "MLIR Converted." and cmp.old.producer == "TOCO Converted."
    assert any(f["kind"] == "producer" for f in cmp.findings)
    # TOCO turns the 1-channel conv into a depthwise conv and folds the flatten; MLIR keeps both
    assert (cmp.ops.added, cmp.ops.removed) == (["CONV_2D", "RESHAPE"], ["DEPTHWISE_CONV_2D"])
    assert cmp.new.total_macs == cmp.old.total_macs > 0
    assert cmp.numerics.worst("old").max_abs < 1e-5
    assert [(t.target, t.change) for t in cmp.targets] == [("host-x86_64", "unchanged"), ("cortex-m4", "unchanged")]
    assert cmp.verdict == "pass"


def test_keras_lstm_fails_under_toco_and_compare_says_so(legacy_env: Path, sources: Path, mlir_models: dict[str, Path],
                                                        tmp_path: Path) -> None:
    old = convert_legacy(sources / "lstm.h5", tmp_path / "toco.tflite")
    assert not old.ok and old.output is None and not (tmp_path / "toco.tflite").exists()
    [finding] = old.findings
    assert finding.kind == "needs-custom-ops"
    assert finding.ops == ["StatelessWhile", "TensorListFromTensor", "TensorListReserve", "TensorListStack"]
    cmp = compare_models(mlir_models["lstm"], old, targets=["host-x86_64"])
    assert cmp.old is None and cmp.old_failure["ops"] == finding.ops
    assert cmp.new.producer == "MLIR Converted." and "WHILE" in cmp.new.op_counts
    assert cmp.targets[0].new_verdict == "runs" and cmp.targets[0].change == "improvement"
    assert cmp.numerics.new_status == "ok"
    assert cmp.verdict == "pass"


def test_compare_cli_runs_toco_itself(legacy_env: Path, sources: Path, mlir_models: dict[str, Path], run_cli) -> None:
    proc = run_cli("compare", mlir_models["lstm"], "--legacy-from", sources / "lstm.h5", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["old"] is None and "StatelessWhile" in doc["old_failure"]["ops"]
    assert doc["findings"][0]["kind"] == "old-conversion-failed"


def test_savedmodel_and_function_sources(legacy_env: Path, sources: Path, tmp_path: Path, run_cli) -> None:
    saved = convert_legacy(sources / "conv_savedmodel", tmp_path / "sm.tflite")
    assert saved.ok and load_model(saved.output).producer == TOCO_PRODUCER
    script = tmp_path / "fn.py"
    script.write_text(FUNCTION_SOURCE)
    proc = run_cli("legacy", "convert", f"{script}:scaled_relu", "-o", tmp_path / "fn.tflite", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["ok"] and result["producer"] == TOCO_PRODUCER
    assert load_model(tmp_path / "fn.tflite").op_counts() == FN_OPS


def test_setup_reuses_the_cached_env(legacy_env: Path, run_cli) -> None:
    proc = run_cli("legacy", "setup")
    assert proc.returncode == 0, proc.stderr
    assert f"ready: {legacy_env}" in proc.stdout and "tensorflow 2.17.1" in proc.stdout
    status = json.loads(run_cli("legacy", "status", "--json").stdout)
    assert status["ready"] and status["tensorflow"] == "2.17.1" and status["tf_keras"] == "2.17.0"
    assert (legacy_env / "bin" / "toco_from_protos").exists()


def test_convert_both_writes_both_files_and_records_the_producers(legacy_env: Path, sources: Path, tmp_path: Path,
                                                                  run_cli) -> None:
    out, report = tmp_path / "conv.tflite", tmp_path / "conv.json"
    proc = run_cli("convert", sources / "conv.h5", "-o", out, "--both", "--report", report)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(report.read_text())
    assert doc["legacy"]["ok"] and doc["legacy"]["producer"] == TOCO_PRODUCER
    assert doc["legacy"]["output"] == str(tmp_path / "conv.toco.tflite")
    assert load_model(out).producer == "MLIR Converted."
    assert load_model(tmp_path / "conv.toco.tflite").producer == TOCO_PRODUCER


def test_convert_both_reports_toco_refusing_the_lstm_as_a_finding(legacy_env: Path, sources: Path, tmp_path: Path,
                                                                   run_cli) -> None:
    out, report = tmp_path / "lstm.tflite", tmp_path / "lstm.json"
    proc = run_cli("convert", sources / "lstm.h5", "-o", out, "--both", "--report", report)
    assert proc.returncode == 0, proc.stderr[-2000:]  # the MLIR conversion is what this command delivers
    toco = json.loads(report.read_text())["legacy"]
    assert not toco["ok"] and toco["output"] is None
    assert any("TensorListReserve" in f["ops"] for f in toco["findings"]), toco["findings"]
    assert "refused the model" in proc.stdout
    legacy_only = run_cli("convert", sources / "lstm.h5", "-o", tmp_path / "toco.tflite", "--legacy")
    assert legacy_only.returncode == 5 and "Traceback" not in legacy_only.stderr
    assert not (tmp_path / "toco.tflite").exists()


def test_convert_legacy_refuses_options_toco_cannot_honour(run_cli, tmp_path: Path) -> None:
    proc = run_cli("convert", "model.h5", "-o", tmp_path / "m.tflite", "--legacy", "--quantize", "int8")
    assert proc.returncode == 2 and "supports --quantize none|dynamic" in proc.stderr
