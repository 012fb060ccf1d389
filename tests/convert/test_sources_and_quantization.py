"""Every source format (SavedModel, Keras export, .keras, .h5, frozen .pb) and every quantization mode, for real.

One child (make_sources.py) writes the sources, one worker batch converts them all (checked in LiteRT and
TFLM against TF), and one CLI run shows the random-calibration warning; everything is cached under
$EDGETK_CACHE/test-models/sources-<hash> (the hash covers the sources script, the jobs and toolkit/convert).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import ExitCode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MAKER = HERE / "make_sources.py"
PB = {"input_arrays": ["image"], "output_arrays": ["Identity"], "input_shapes": [[1, 8, 8, 8]]}
CALIB = "conv_calib.npz"

# (job, source relative to the sources dir, options); "calibration" is resolved against the sources dir too.
JOBS = [
    ("sm_default", "two_sigs", {}),
    ("sm_scaled", "two_sigs", {"signature": "scaled"}),
    ("sm_missing_signature", "two_sigs", {"signature": "nope"}),
    ("sm_keras_export_lstm", "lstm_export", {}),
    ("keras_lstm", "lstm.keras", {"rnn": "loop"}),
    ("h5_lstm_fused", "lstm.h5", {"rnn": "fused"}),
    ("pb", "conv.pb", PB),
    ("pb_unknown_output", "conv.pb", {**PB, "output_arrays": ["logits"]}),
    ("q_dynamic", "conv.pb", {**PB, "quantize": "dynamic"}),
    ("q_float16", "conv.pb", {**PB, "quantize": "float16", "targets": ["cortex-m4"]}),
    ("q_int16x8", "conv.pb", {**PB, "quantize": "int16x8", "calibration": CALIB, "integer_io": True}),
    ("q_int8", "conv.pb", {**PB, "quantize": "int8", "calibration": CALIB, "integer_io": True,
                           "targets": ["cortex-m4"]}),
]
PB_FLAGS = ["--input-arrays", "image", "--output-arrays", "Identity", "--input-shapes", "1,8,8,8"]


def _key() -> str:
    digest = hashlib.sha256(MAKER.read_bytes())
    digest.update(json.dumps(JOBS).encode())
    for path in sorted((REPO / "toolkit" / "convert").glob("*.py")):
        if not path.name.startswith("legacy"):
            digest.update(path.read_bytes())
    digest.update((REPO / "toolkit" / "cli" / "convert.py").read_bytes())
    return digest.hexdigest()[:16]


def _options(opts: dict, src: Path):
    from toolkit.convert import ConvertOptions

    opts = dict(opts)
    if "calibration" in opts:
        opts["calibration"] = str(src / opts["calibration"])
    if "input_shapes" in opts:
        opts["input_shapes"] = tuple(tuple(s) for s in opts["input_shapes"])
    for key in ("input_arrays", "output_arrays", "targets"):
        if key in opts:
            opts[key] = tuple(opts[key])
    return ConvertOptions(**opts)


def _build(out_dir: Path) -> dict:
    from toolkit.convert.api import convert_many

    src = out_dir / "src"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "EDGETK_HOME": str(out_dir / "home")}
    subprocess.run([sys.executable, str(MAKER), str(src)], check=True, capture_output=True, timeout=600, env=env)
    items = [(str(src / path), out_dir / f"{name}.tflite", _options(opts, src)) for name, path, opts in JOBS]
    results = convert_many(items, check_runtimes=("litert", "tflm"))
    docs = {}
    for (name, _, _), r in zip(JOBS, results, strict=True):
        if isinstance(r, Exception):
            docs[name] = {"error": str(r), "type": type(r).__name__, "exit_code": int(r.exit_code)}
        else:
            docs[name] = r.to_json()
    cli = subprocess.run([sys.executable, "-m", "toolkit.cli", "convert", str(src / "conv.pb"), "-o",
                          str(out_dir / "cli_random.tflite"), *PB_FLAGS, "--quantize", "int8", "--json"],
                         capture_output=True, text=True, timeout=600, cwd=REPO, env=env)
    docs["cli_random_calibration"] = {"returncode": cli.returncode, "stdout": cli.stdout, "stderr": cli.stderr}
    return docs


def _cache_root() -> Path:
    """The shared test cache: a session fixture runs before the root conftest sets EDGETK_CACHE per test."""
    return Path(os.environ.get("EDGETK_CACHE") or os.environ.get("EDGETK_TEST_CACHE")
                or REPO / ".venv" / "edgetk-cache")


@pytest.fixture(scope="session")
def sources() -> tuple[dict, Path]:
    """(job name → report JSON or {"error", "type", "exit_code"}, directory of the .tflite files)."""
    out_dir = _cache_root() / "test-models" / f"sources-{_key()}"
    index = out_dir / "reports.json"
    if not index.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        docs = _build(out_dir)
        index.write_text(json.dumps(docs, indent=1))
    return json.loads(index.read_text()), out_dir


def _ok(docs: dict, name: str) -> dict:
    report = docs[name]
    assert "error" not in report, report.get("error")
    return report


def _numerics(report: dict, runtime: str) -> dict:
    return next(c for c in report["numerics"] if c["runtime"] == runtime)


def _matches_tf(report: dict, runtime: str = "litert", tol: float = 1e-5) -> None:
    check = _numerics(report, runtime)
    assert check["ok"], check["error"]
    assert check["outputs"] and all(o["max_abs"] < tol for o in check["outputs"]), check["outputs"]


# --- SavedModel --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_saved_model_default_signature_is_fixed_at_batch_1_and_matches_tf(sources) -> None:
    report = _ok(sources[0], "sm_default")
    assert report["frontend"] == "saved_model" and report["ops"] == {"FULLY_CONNECTED": 1}
    assert report["input_shapes"] == [[1, 4]]
    assert "batch of 'x' fixed to 1 (was dynamic)" in report["fixes"]
    assert "signature 'serving_default': inputs x; outputs y" in report["notes"]  # now with names (issue 13)
    _matches_tf(report)
    _matches_tf(report, "tflm")


@pytest.mark.slow
def test_saved_model_signature_flag_selects_the_other_function(sources) -> None:
    report = _ok(sources[0], "sm_scaled")
    assert report["ops"] == {"MUL": 1, "TANH": 1} and report["input_shapes"] == [[1, 5]]
    assert "signature 'scaled': inputs x; outputs z" in report["notes"] and not report["fixes"]
    _matches_tf(report)


@pytest.mark.slow
def test_unknown_signature_is_a_one_line_input_error(sources) -> None:
    error = sources[0]["sm_missing_signature"]
    assert error["type"] == "BadInputError" and error["exit_code"] == ExitCode.BAD_INPUT
    assert "no signature 'nope'" in error["error"] and "scaled" in error["error"] and "\n" not in error["error"]


@pytest.mark.slow
def test_keras_export_lstm_saved_model_gets_a_fixed_batch_and_builtin_ops(sources) -> None:
    """Keras 3 export() pre-traces a dynamic batch into TensorList shapes; edgetk fixes them to batch 1."""
    report = _ok(sources[0], "sm_keras_export_lstm")
    assert "batch of 'seq' fixed to 1 (was dynamic)" in report["fixes"]
    assert any("TensorList" in n for n in report["notes"])
    assert report["input_shapes"] == [[1, 10, 4]] and report["builtin_only"] and "WHILE" in report["ops"]
    assert not {"VAR_HANDLE", "READ_VARIABLE"} & set(report["ops"])
    _matches_tf(report)
    _matches_tf(report, "tflm")


# --- Keras files -------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_dot_keras_lstm_converts_at_batch_1(sources) -> None:
    report = _ok(sources[0], "keras_lstm")
    assert report["frontend"] == "keras" and report["rnn_form"] == "loop" and "WHILE" in report["ops"]
    assert "batch of 'seq' fixed to 1 (was dynamic)" in report["fixes"]
    _matches_tf(report)


@pytest.mark.slow
def test_h5_lstm_converts_to_the_fused_op(sources) -> None:
    report = _ok(sources[0], "h5_lstm_fused")
    assert report["rnn_form"] == "fused" and report["ops"].get("UNIDIRECTIONAL_SEQUENCE_LSTM") == 1
    assert report["input_shapes"] == [[1, 10, 4]]
    _matches_tf(report)
    _matches_tf(report, "tflm")


# --- frozen GraphDef ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_frozen_graphdef_with_named_arrays_and_shapes_matches_tf(sources) -> None:
    report = _ok(sources[0], "pb")
    assert report["frontend"] == "graphdef"
    assert report["ops"] == {"CONV_2D": 1, "FULLY_CONNECTED": 1, "MEAN": 1}
    assert "input 'image' shape set to [1, 8, 8, 8] (was [None, 8, 8, 8])" in report["fixes"]
    _matches_tf(report)
    _matches_tf(report, "tflm")


@pytest.mark.slow
def test_unknown_output_array_names_the_graphs_real_outputs(sources) -> None:
    error = sources[0]["pb_unknown_output"]
    assert error["type"] == "BadInputError" and error["exit_code"] == ExitCode.BAD_INPUT
    assert "'logits'" in error["error"] and "Identity" in error["error"] and "\n" not in error["error"]


def test_graphdef_without_arrays_is_refused_before_tensorflow_loads(run_cli, tmp_path: Path) -> None:
    graph = tmp_path / "frozen.pb"
    graph.write_bytes(b"\x0a\x00")
    proc = run_cli("convert", graph, "-o", tmp_path / "m.tflite", "--input-arrays", "image")
    assert proc.returncode == ExitCode.BAD_INPUT, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--output-arrays" in lines[0] and "frozen.pb" in lines[0]
    assert "Traceback" not in proc.stderr


# --- quantization ------------------------------------------------------------------------------------------

def _io(out_dir: Path, name: str) -> tuple[list, list, object]:
    from toolkit.model import load_model

    model = load_model(out_dir / f"{name}.tflite")
    sg = model.subgraphs[0]
    return [sg.tensors[i] for i in sg.inputs], [sg.tensors[i] for i in sg.outputs], sg


@pytest.mark.slow
def test_dynamic_range_quantization_stores_int8_weights_with_float_io(sources) -> None:
    docs, out_dir = sources
    report = _ok(docs, "q_dynamic")
    ins, outs, sg = _io(out_dir, "q_dynamic")
    assert [t.dtype for t in ins + outs] == ["float32", "float32"]
    conv = next(op for op in sg.operators if op.name == "CONV_2D")
    assert sg.tensors[conv.inputs[1]].dtype == "int8"  # the weights
    errs = report["quantization_error"]
    assert errs and 0 < errs[0]["max_abs"] < 0.1 and errs[0]["max_rel"] < 0.02


@pytest.mark.slow
def test_float16_adds_dequantize_that_tflm_rejects_and_check_says_so(sources) -> None:
    docs, out_dir = sources
    report = _ok(docs, "q_float16")
    assert report["ops"].get("DEQUANTIZE", 0) >= 1
    _, _, sg = _io(out_dir, "q_float16")
    dequant = [op for op in sg.operators if op.name == "DEQUANTIZE"]
    assert all(sg.tensors[op.inputs[0]].dtype == "float16" for op in dequant)
    errs = report["quantization_error"]
    assert errs and 0 < errs[0]["max_abs"] < 5e-3
    verdict = next(t for t in report["targets"] if t["target"] == "cortex-m4")
    assert verdict["verdict"] == "does-not-run"
    assert any("DEQUANTIZE" in f and "float16" in f for f in verdict["findings"])
    assert not _numerics(report, "tflm")["ok"]  # and TFLM itself agrees with the prediction


@pytest.mark.slow
def test_int16x8_with_integer_io_has_int16_io_and_reports_its_error(sources) -> None:
    docs, out_dir = sources
    report = _ok(docs, "q_int16x8")
    ins, outs, _ = _io(out_dir, "q_int16x8")
    assert [t.dtype for t in ins + outs] == ["int16", "int16"]
    assert all(t.quantization and t.quantization.scales[0] > 0 for t in ins + outs)
    errs = report["quantization_error"]
    assert errs and 0 < errs[0]["max_abs"] < 0.1


@pytest.mark.slow
def test_int8_with_calibration_and_integer_io_runs_on_the_mcu(sources) -> None:
    docs, out_dir = sources
    report = _ok(docs, "q_int8")
    assert not any("RANDOM CALIBRATION" in w for w in report["warnings"])
    ins, outs, sg = _io(out_dir, "q_int8")
    assert [t.dtype for t in ins + outs] == ["int8", "int8"]
    assert all(t.quantization and len(t.quantization.scales) == 1 for t in ins + outs)
    # calibration inputs are uniform in [-1, 1): the input scale covers that range in 255 steps
    assert ins[0].quantization.scales[0] == pytest.approx(2 / 255, rel=0.05)
    assert {op.name for op in sg.operators} == {"CONV_2D", "MEAN", "FULLY_CONNECTED"}
    errs = report["quantization_error"]
    assert errs and 0 < errs[0]["max_abs"] < 0.1 and errs[0]["max_rel"] < 0.03
    assert next(t for t in report["targets"] if t["target"] == "cortex-m4")["verdict"] == "runs"
    tflm = _numerics(report, "tflm")
    assert tflm["ok"] and tflm["outputs"][0]["max_abs"] < 0.1


@pytest.mark.slow
def test_random_calibration_warns_loudly_on_stderr(sources) -> None:
    run = sources[0]["cli_random_calibration"]
    assert run["returncode"] == 0, run["stderr"]
    assert "WARNING: QUANTIZED WITH RANDOM CALIBRATION DATA" in run["stderr"]
    report = json.loads(run["stdout"])
    assert any("RANDOM CALIBRATION" in w for w in report["warnings"]) and report["quantize"] == "int8"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "key", "inputs", "outputs"), [
    ("sm_default", "serving_default", ["x"], ["y"]),
    ("sm_scaled", "scaled", ["x"], ["z"]),
    ("sm_keras_export_lstm", "serving_default", ["seq"], ["output_0"]),
    ("keras_lstm", "serving_default", ["seq"], None),
    ("h5_lstm_fused", "serving_default", ["seq"], None),
    ("pb", "serving_default", ["image"], ["Identity"]),
    ("q_int8", "serving_default", ["image"], ["Identity"]),
])
def test_every_front_end_writes_a_signature_a_runner_can_call(sources, name: str, key: str, inputs: list,
                                                              outputs: list | None) -> None:
    """Apps call get_signature_runner(); the plain converter keeps signatures, so must edgetk (issue 13)."""
    from ai_edge_litert.interpreter import Interpreter

    _ok(sources[0], name)
    it = Interpreter(model_path=str(sources[1] / f"{name}.tflite"))
    assert list(it.get_signature_list()) == [key]
    runner = it.get_signature_runner(key)
    details = runner.get_input_details()
    assert sorted(details) == inputs
    result = runner(**{n: np.zeros(d["shape"], d["dtype"]) for n, d in details.items()})
    assert outputs is None or sorted(result) == outputs
    assert result and all(np.all(np.isfinite(v)) for v in result.values())
