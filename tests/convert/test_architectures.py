"""Transformers, detection heads and every Python source kind, converted by the default command, for real.

Architectures rebuilt from their papers (tests/convert/fixture_architectures.py): BERT-like encoder with
token-type and attention-mask inputs (as a Keras model builder, a Keras export SavedModel and a tf.Module
SavedModel), a module-level Keras model instance, a tf.function without input_signature (--input-shape),
MobileBERT-like bottleneck block, ViT patch encoder, GPT-2-like causal block (a module-level tf.function and a
ConcreteFunction), SSD head with NMS v4 / v5 (a tf.Module, method chosen with --signature). Each is converted
with default options against every shipped target, checked in LiteRT and tflite-runtime, its signature run
with get_signature_runner(). One worker batch plus three CLI runs, cached under
$EDGETK_CACHE/test-models/architectures-<hash of fixtures, jobs and toolkit/convert>.
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

pytestmark = pytest.mark.slow  # converts with TensorFlow (cached): make test only

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARCH = HERE / "fixture_architectures.py"
MAKER = HERE / "make_architecture_sources.py"
BERT_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]

# (job, source ("{A}" = fixture file, "{S}" = sources dir), options, expected signature key, inputs, outputs)
JOBS = [
    ("bert", "{A}:bert_encoder", {}, "serving_default", BERT_INPUTS, ["logits"]),
    ("mobilebert", "{A}:mobilebert_block", {}, "serving_default", BERT_INPUTS, ["logits"]),
    ("vit", "{A}:vit_patch_encoder", {}, "serving_default", ["pixel_values"], ["logits"]),
    ("gpt2", "{A}:gpt2_block", {}, "serving_default", ["input_ids"], ["logits"]),
    ("gpt2_concrete", "{A}:gpt2_concrete", {}, "serving_default", ["input_ids"], ["logits"]),
    ("ssd_v4", "{A}:ssd_head", {"signature": "detect_v4"}, "detect_v4", ["image"], ["boxes", "num_detections"]),
    ("ssd_v5", "{A}:ssd_head", {"signature": "detect_v5"}, "detect_v5", ["image"],
     ["boxes", "num_detections", "scores"]),
    ("keras_instance", "{A}:classifier_head", {}, "serving_default", ["features"], ["scores"]),
    ("softmax_shapes", "{A}:scaled_softmax", {"input_shapes": [[1, 7]]}, "serving_default", ["logits"],
     ["output_0"]),
    ("bert_export", "{S}/bert_export", {}, "serving_default", sorted(BERT_INPUTS), ["output_0"]),
    ("bert_module", "{S}/bert_module", {}, "serving_default", sorted(BERT_INPUTS), ["logits"]),
]
FAILING = [
    ("ssd_no_signature", "{A}:ssd_head", {}),
    ("sm_rnn_fused", "{S}/bert_module", {"rnn": "fused"}),
    ("fn_rnn_fused", "{A}:gpt2_block", {"rnn": "fused"}),
    ("bert_bad_inputs", "{S}/bert_module", {"inputs": "{S}/bert_bad_inputs.npz"}),
    ("igamma_saved_debug_info", "{S}/igamma_module", {}),
    ("igamma_tf_function", "{A}:stack_trace_example", {}),
]


def _key() -> str:
    digest = hashlib.sha256(ARCH.read_bytes() + MAKER.read_bytes())
    digest.update(str(REPO).encode())  # the reports name the user's file by its path in this checkout
    digest.update(json.dumps([JOBS, FAILING]).encode())
    for path in sorted((REPO / "toolkit" / "convert").glob("*.py")) + [REPO / "toolkit" / "cli" / "convert.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_root() -> Path:
    return Path(os.environ.get("EDGETK_CACHE") or os.environ.get("EDGETK_TEST_CACHE")
                or REPO / ".venv" / "edgetk-cache")


def _options(opts: dict, src: Path, targets: tuple[str, ...]):
    from toolkit.convert import ConvertOptions

    opts = {k: (v.replace("{S}", str(src)) if isinstance(v, str) else v) for k, v in opts.items()}
    if "input_shapes" in opts:
        opts["input_shapes"] = tuple(tuple(s) for s in opts["input_shapes"])
    return ConvertOptions(**opts, targets=targets)


def _signature_run(path: Path, key: str) -> dict:
    """Signature runner vs the plain interpreter on one seeded input: same numbers, names from the signature."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    runner = it.get_signature_runner(key)
    details = runner.get_input_details()
    rng = np.random.default_rng(0)
    feed = {}
    for name, d in details.items():
        if np.issubdtype(d["dtype"], np.integer):
            feed[name] = (np.ones(d["shape"]) if "mask" in name else rng.integers(0, 2, size=d["shape"])).astype(d["dtype"])
        else:
            feed[name] = rng.uniform(-1, 1, size=d["shape"]).astype(d["dtype"])
    by_signature = {name: np.array(value) for name, value in runner(**feed).items()}
    out_index = {name: d["index"] for name, d in runner.get_output_details().items()}
    signatures = sorted(it.get_signature_list())
    plain_it = Interpreter(model_path=str(path))
    plain_it.allocate_tensors()
    for name, d in details.items():  # the same values through the plain interpreter's tensor indices
        plain_it.set_tensor(d["index"], feed[name])
    plain_it.invoke()
    plain = {d["index"]: plain_it.get_tensor(d["index"]) for d in plain_it.get_output_details()}
    return {"inputs": sorted(details), "outputs": sorted(by_signature),
            "same": all(np.array_equal(by_signature[n], plain[out_index[n]]) for n in by_signature),
            "signatures": signatures}


def _build(out_dir: Path) -> dict:
    from toolkit.convert.api import convert_many
    from toolkit.targets import load_registry

    src = out_dir / "src"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "EDGETK_HOME": str(out_dir / "home")}
    subprocess.run([sys.executable, str(MAKER), str(src)], check=True, capture_output=True, timeout=900, env=env)
    targets = tuple(load_registry().names())
    jobs = [(n, s, o) for n, s, o, *_ in JOBS] + FAILING
    items = [(s.replace("{A}", str(ARCH)).replace("{S}", str(src)), out_dir / f"{n}.tflite", _options(o, src, targets))
             for n, s, o in jobs]
    results = convert_many(items, check_runtimes=("litert", "tflite-runtime"))
    docs: dict = {"targets": list(targets)}
    for (name, *_), r in zip(jobs, results, strict=True):
        docs[name] = ({"error": str(r), "type": type(r).__name__, "exit_code": int(r.exit_code),
                       "details": getattr(r, "details", ""), "errors": getattr(r, "to_json", lambda: {})()}
                      if isinstance(r, Exception) else r.to_json())
    for name, *_rest, key, _ins, _outs in JOBS:
        if "error" not in docs[name]:
            docs[name]["signature_run"] = _signature_run(out_dir / f"{name}.tflite", key)
    docs["cli"] = _cli_runs(src, out_dir, env)
    return docs


def _cli(args: list[str], env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "toolkit.cli", "convert", *args], capture_output=True, text=True,
                          timeout=900, cwd=REPO, env=env)
    return {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def _cli_runs(src: Path, out: Path, env: dict) -> dict:
    return {
        "bert_saved_model": _cli([str(src / "bert_module"), "-o", str(out / "cli_bert.tflite")], env),
        "int8_garbage": _cli([f"{ARCH}:vit_patch_encoder", "-o", str(out / "cli_garbage.tflite"), "--quantize", "int8",
                              "--calibration", str(src / "vit_garbage.npz"), "--inputs", str(src / "vit_real.npz")],
                             env),
        "bad_inputs": _cli([str(src / "bert_module"), "-o", str(out / "cli_bad.tflite"), "--inputs",
                            str(src / "bert_bad_inputs.npz"), "--json"], env),
        "garbage_exists": {"returncode": int((out / "cli_garbage.tflite").exists())},
    }


@pytest.fixture(scope="session")
def arch() -> dict:
    out_dir = _cache_root() / "test-models" / f"architectures-{_key()}"
    index = out_dir / "reports.json"
    if not index.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        index.write_text(json.dumps(_build(out_dir), indent=1))
    return json.loads(index.read_text())


@pytest.mark.parametrize("job", JOBS, ids=[j[0] for j in JOBS])
def test_architecture_converts_builtin_only_within_tolerance_with_its_signature(arch: dict, job: tuple) -> None:
    name, _source, _opts, key, inputs, outputs = job
    report = arch[name]
    assert "error" not in report, report.get("details") or report.get("error")
    assert report["builtin_only"]
    verdict = report["numerics_verdict"]
    assert verdict["status"] == "passed", verdict["reasons"]
    assert verdict["worst_rel"] <= verdict["tolerance"] == 1e-4
    assert {c["runtime"] for c in report["numerics"] if c["ok"]} == {"litert", "tflite-runtime"}
    run = report["signature_run"]
    assert run["signatures"] == [key]
    assert run["inputs"] == sorted(inputs) and run["outputs"] == sorted(outputs)
    assert run["same"]  # the signature's names point at the tensors the check compared
    assert [o["name"] for o in report["numerics"][0]["outputs"]] == sorted(outputs)


@pytest.mark.parametrize("job", JOBS, ids=[j[0] for j in JOBS])
def test_every_target_is_checked_and_evidence_agrees(arch: dict, job: tuple) -> None:
    rows = arch[job[0]]["targets"]
    assert [r["target"] for r in rows] == arch["targets"]
    for row in rows:
        ran = row["runtime_outcomes"]
        if row["runtime"].startswith(("litert", "tflite-runtime")):  # the check ran these runtimes: evidence
            assert row["evidence"] == "verified" and all(o["ok"] for o in ran)
            assert row["verdict"] in ("runs", "delegate-fallback"), row["findings"]
        else:
            assert row["evidence"] == "static" and not ran


def test_bert_integer_inputs_get_ranges_from_the_graph(arch: dict) -> None:
    for name in ("bert", "bert_export", "bert_module", "mobilebert"):
        text = arch[name]["numerics_verdict"]["check_inputs"]
        assert "input_ids in [0, 64): indexes a table of 64 rows" in text
        assert "token_type_ids in [0, 2): indexes a table of 2 rows" in text
        assert "attention_mask in [0, 2)" in text
    assert "input_ids in [0, 64)" in arch["gpt2"]["numerics_verdict"]["check_inputs"]


def test_default_command_converts_a_bert_saved_model(arch: dict) -> None:
    run = arch["cli"]["bert_saved_model"]
    assert run["returncode"] == 0, run["stderr"]
    assert "numerics: PASSED" in run["stdout"]
    assert "signature 'serving_default': inputs attention_mask, input_ids, token_type_ids; outputs logits" in run["stdout"]


def test_int8_with_garbage_calibration_fails_its_numerics_and_keeps_the_file(arch: dict) -> None:
    run = arch["cli"]["int8_garbage"]
    assert run["returncode"] == ExitCode.NUMERICS_FAILED == 8, run["stderr"]
    assert "numerics: FAILED" in run["stdout"] and "numerics: FAILED" in run["stderr"]
    assert "tolerance 0.25 (default for --quantize int8)" in run["stdout"]
    assert "check inputs: --inputs" in run["stdout"]
    assert arch["cli"]["garbage_exists"]["returncode"] == 1


def test_reference_run_failure_converts_and_says_why(arch: dict) -> None:
    report = arch["bert_bad_inputs"]
    assert "error" not in report
    verdict = report["numerics_verdict"]
    assert verdict["status"] == "not-checked" and not report["numerics"]
    assert "indices" in verdict["reasons"][0] and "is not in [0, 2)" in verdict["reasons"][0]
    assert "Graph execution error" not in verdict["reasons"][0]
    run = arch["cli"]["bad_inputs"]
    assert run["returncode"] == ExitCode.NUMERICS_FAILED, run["stderr"]
    assert json.loads(run["stdout"])["numerics_verdict"]["status"] == "not-checked"
    assert "numerics: NOT CHECKED" in run["stderr"] and "is not in [0, 2)" in run["stderr"]


def test_module_with_several_functions_asks_for_signature(arch: dict) -> None:
    err = arch["ssd_no_signature"]
    assert err["exit_code"] == ExitCode.BAD_INPUT
    assert "detect_v4, detect_v5" in err["error"] and "--signature" in err["error"]


def test_rnn_fused_without_a_keras_model_is_refused_with_the_fix(arch: dict) -> None:
    for name in ("sm_rnn_fused", "fn_rnn_fused"):
        err = arch[name]
        assert err["exit_code"] == ExitCode.BAD_INPUT, err
        assert "no Keras model" in err["error"] and "--rnn auto" in err["error"]


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def test_tf_function_error_points_at_the_users_line_first(arch: dict) -> None:
    err = arch["igamma_tf_function"]
    assert err["exit_code"] == ExitCode.CONVERSION_FAILED
    first = err["errors"]["errors"][0]
    assert first["op"] == "tf.Igamma"
    assert first["user_frame"]["file"] == str(ARCH)
    assert first["user_frame"]["line"] == _line_of(ARCH, "return tf.math.igamma(y, x * x)")
    line = _line_of(ARCH, "return tf.math.igamma(y, x * x)")
    assert err["details"].index(f"at tests/convert/fixture_architectures.py:{line}") < err["details"].index("TF node")


def test_saved_model_with_debug_info_keeps_the_users_line(arch: dict) -> None:
    err = arch["igamma_saved_debug_info"]
    assert err["exit_code"] == ExitCode.CONVERSION_FAILED
    first = err["errors"]["errors"][0]
    assert first["op"] == "tf.Igamma"
    assert first["user_frame"]["file"] == str(MAKER)
    assert first["user_frame"]["line"] == _line_of(MAKER, 'return {"y": tf.math.igamma(y, y + 1.0)}')
    assert "saved debug info" in err["details"]


def test_missing_source_is_no_such_file(run_cli, tmp_path: Path) -> None:
    for source in (tmp_path / "nope", f"{tmp_path / 'nope.py'}:build"):
        result = run_cli("convert", str(source), "-o", str(tmp_path / "o.tflite"))
        assert result.returncode == ExitCode.BAD_INPUT, result.stderr
        assert "no such file" in result.stderr and "not a SavedModel" not in result.stderr
