"""A phone without Python: `bench` over adb runs LiteRT's benchmark_model, through the REAL adb client.

The device is the loopback adb peer (runtime_tests/adb_peer.py: the adb wire protocol, the host's /bin/sh),
with ``python3`` made unavailable on its PATH, as on a phone. The benchmark_model it runs is a STAND-IN:
runtime_tests/data/benchmark_model_standin.sh takes the documented flags and prints the documented output
format (tflite/tools/benchmark/README.md) with made-up numbers, because the real benchmark_model is a bionic
binary that cannot run on these machines. What this proves: the device entry's ``benchmark_binary`` is
pushed, made executable and run with the flags from the bench options, its output becomes the bench
document (timings measured, op profile as per_op), and `devices check` names the path and what is missing.
With ``--accelerator gpu`` the same stand-in takes ``--use_gpu=true`` and prints the GPU delegate's lines and
other timings, and runtime_tests/data/inference_diff_standin.sh — a STAND-IN for LiteRT's inference_diff,
printing its documented log (run_eval.cc / its README) with made-up errors — gives the GPU-vs-CPU numerics.
Both honour the flags they get, so a test that passes the wrong ones fails.
What it does not prove: anything about a real phone, a real GPU, or real benchmark_model / inference_diff builds.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from runtime_tests.adb_peer import AdbPeer
from runtime_tests.sshd import free_port
from toolkit.bench.documents import BenchDocument

pytestmark = pytest.mark.device
STANDIN = Path(__file__).parent / "data" / "benchmark_model_standin.sh"
DIFF_STANDIN = Path(__file__).parent / "data" / "inference_diff_standin.sh"


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("phone")
    no_python = work / "bin"
    no_python.mkdir()
    (no_python / "python3").write_text("#!/bin/sh\necho 'python3: inaccessible or not found' >&2\nexit 127\n")
    (no_python / "python3").chmod(0o755)
    port = free_port()
    dev = AdbPeer(port, env={"PATH": f"{no_python}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, cwd=str(work))
    dev.serial = f"127.0.0.1:{port}"
    dev.root = work / "data/local/tmp/edgetk"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))
        res = subprocess.run(["adb", "connect", dev.serial], capture_output=True, text=True, timeout=60)
        assert "connected to" in res.stdout, res.stdout + res.stderr
        yield dev
        subprocess.run(["adb", "kill-server"], capture_output=True, timeout=60)
    dev.close()


def _inventory(tmp_path: Path, phone: AdbPeer, binary: str | None, diff: str | None = None) -> Path:
    inv = tmp_path / "devices.toml"
    extra = f'benchmark_binary = "{binary}"\n' if binary else ""
    extra += f'inference_diff_binary = "{diff}"\n' if diff else ""
    inv.write_text(f'[devices.phone]\ntarget = "android-arm64"\ntransport = "adb"\nserial = "{phone.serial}"\n'
                   f'remote_dir = "{phone.root}"\n{extra}')
    return inv


def _model(tmp_path: Path) -> Path:
    from toolkit.model.builder import build_single_op_model

    model = tmp_path / "relu.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    return model


def test_bench_runs_benchmark_model_and_its_output_is_the_measured_bench_document(phone, tmp_path, run_cli):
    inv = _inventory(tmp_path, phone, str(STANDIN))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--runs", "7", "--warmup", "2", "--threads", "2", "--per-op", "--json", "--no-store")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    BenchDocument.model_validate(doc)
    runner = doc["runner"]
    assert runner["schema"] == "edgetk.benchmark-model/1" and doc["transport"] == "adb"
    assert "--num_runs=7" in runner["tool"]["argv"] and "--num_threads=2" in runner["tool"]["argv"]
    assert "--enable_op_profiling=true" in runner["tool"]["argv"]
    assert runner["latency_ms"]["runs"] == 7  # the stand-in echoes --num_runs: the flag reached it
    assert runner["tool_settings"] == {"num_threads": 2, "use_gpu": False, "use_xnnpack": True}  # as it logged them
    assert [d["name"] for d in runner["delegates"]] == ["XNNPACK"] and doc["headline"].get("delegate") is None
    assert runner["latency_ms"]["p50"] == 4.05 and runner["init_ms"] == 12.5
    assert runner["memory_mb"] == {"init": 3.5, "overall": 9.25, "peak": 11.5}
    assert doc["timing"] == doc["headline"]["timing"] == "measured" and doc["headline"]["p50_ms"] == 4.05
    per_op = doc["per_op"]
    assert per_op["source"] == "profiler" and per_op["timing"] == "measured"
    assert [(o["index"], o["op"], o["ms"]) for o in per_op["ops"]] == [(0, "CONV_2D", 2.8), (1, "MEAN", 0.8),
                                                                       (2, "SOFTMAX", 0.4)]
    assert per_op["ratio"] == pytest.approx(4.0 / 4.1005)
    text = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                   "--runs", "3", "--per-op", "--no-store")
    assert text.returncode == 0, text.stderr
    assert "benchmark_model latency, ms (measured on the device)" in text.stdout
    assert "per-op (profiler, measured): 3 ops timed" in text.stdout


def test_devices_check_names_the_benchmark_model_path_and_what_is_missing(phone, tmp_path, run_cli):
    found = run_cli("devices", "check", "phone", "--inventory", _inventory(tmp_path, phone, str(STANDIN)), "--json")
    assert found.returncode == 0, found.stderr
    facts = json.loads(found.stdout)
    assert (facts["path"], facts["binary_found"], facts["ready"]) == ("benchmark_model", True, True)

    gone = run_cli("devices", "check", "phone", "--inventory",
                   _inventory(tmp_path, phone, "/data/local/tmp/nowhere/benchmark_model"))
    assert gone.returncode == 1
    assert "bench path: benchmark_model (/data/local/tmp/nowhere/benchmark_model: MISSING" in gone.stdout
    assert "edgetk android setup" in gone.stdout

    runner = run_cli("devices", "check", "phone", "--inventory", _inventory(tmp_path, phone, None))
    assert runner.returncode == 1  # no Python on this "phone": the runner path cannot work
    assert "bench path: python-runner" in runner.stdout and "set benchmark_binary =" in runner.stdout


def test_a_failing_benchmark_model_is_one_line_and_exit_6(phone, tmp_path, run_cli):
    broken = tmp_path / "benchmark_model"
    broken.write_text("#!/bin/sh\necho 'ERROR: Failed to apply XNNPACK delegate.' >&2\nexit 1\n")
    inv = _inventory(tmp_path, phone, str(broken))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--runs", "2", "--no-store")
    assert res.returncode == 6
    assert res.stderr.strip().count("\n") == 0 and "Failed to apply XNNPACK delegate" in res.stderr


def _variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """A copy of a stand-in with one setting changed (the stand-in as a phone or build that differs)."""
    text = source.read_text()
    assert old in text
    out = tmp_path / source.name
    out.write_text(text.replace(old, new))
    out.chmod(0o755)
    return out


def test_accelerator_gpu_runs_benchmark_model_with_use_gpu_measured_with_the_gpu_delegate(phone, tmp_path, run_cli):
    inv = _inventory(tmp_path, phone, str(STANDIN), str(DIFF_STANDIN))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--accelerator", "gpu", "--runs", "5", "--threads", "2", "--json", "--no-store")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    BenchDocument.model_validate(doc)
    runner = doc["runner"]
    assert "--use_gpu=true" in runner["tool"]["argv"] and runner["options"]["gpu"] is True
    assert runner["latency_ms"]["p50"] == 1.5 and runner["init_ms"] == 850.0  # the stand-in's GPU timings
    assert runner["tool_settings"] == {"num_threads": 2, "use_gpu": True, "use_xnnpack": True}
    assert [(d["name"], d["coverage"]) for d in runner["delegates"]] == [("GPU", "full")]
    assert doc["timing"] == "measured" and doc["options"]["accelerator"] == "gpu"
    assert doc["headline"]["delegate"] == "GPU" and doc["headline"]["p50_ms"] == 1.5
    assert doc["timing_note"] == doc["headline"]["note"] == "measured on the device with the GPU delegate"
    assert doc["roofline"] is None  # a CPU peak says nothing about a GPU run
    assert runner["gpu_prediction"]["agrees"] is True and runner["gpu_prediction"]["predicted"] == "full"
    numerics = runner["numerics"]
    assert numerics["tool"]["argv"] == [f"--model_file={numerics['tool']['argv'][0].split('=', 1)[1]}",
                                        "--delegate=gpu", "--num_runs=5", "--num_interpreter_threads=2"]
    assert numerics["runs"] == 5 and numerics["timing"] == "measured"  # --num_runs reached the stand-in
    assert numerics["test_latency"]["avg_ms"] == pytest.approx(1.5105)
    (out,) = numerics["outputs"]
    assert (out["index"], out["avg_error"], out["passed"]) == (0, 2.5e-05, True)
    assert 0 < out["output_range"] < 1.0  # RELU of seeded inputs in [-1, 1), from the host LiteRT run
    assert out["tolerance"] == pytest.approx(1e-3 + 1e-2 * out["output_range"])
    assert numerics["output_range"] == {"source": "host LiteRT CPU, seeded inputs", "timing": "host-run"}
    assert numerics["passed"] is True
    assert [f["rule"] for f in doc["findings"] if f["severity"] != "info"] == []
    saved = tmp_path / "gpu.json"
    saved.write_text(res.stdout)
    report = run_cli("report", saved, "--html", tmp_path / "r.html", "--junit", tmp_path / "r.xml")
    assert report.returncode == 0, report.stderr
    junit = (tmp_path / "r.xml").read_text()
    assert '<property name="delegate" value="GPU"' in junit and '<property name="timing" value="measured"' in junit
    assert '<property name="gpu_numerics" value="pass"' in junit
    html = (tmp_path / "r.html").read_text()
    assert "1.5 ms (measured, GPU delegate)" in html and "(GPU delegate)" in html
    assert "GPU vs CPU mean error within tolerance (inference_diff, measured)" in html

    text = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                   "--accelerator", "gpu", "--runs", "3", "--no-store")
    assert text.returncode == 0, text.stderr
    assert "latency p50 1.500 ms (measured on the device with the GPU delegate)" in text.stdout
    assert "benchmark_model latency, ms (measured, GPU delegate)" in text.stdout
    assert "GPU delegate on the phone: full (benchmark_model, measured)" in text.stdout
    assert "numerics GPU vs CPU (inference_diff, 3 runs, measured): pass (mean error)" in text.stdout


def test_a_phone_without_gpu_support_is_an_error_and_its_cpu_figures_are_not_labelled_gpu(phone, tmp_path, run_cli):
    no_gpu = _variant(tmp_path, STANDIN, "gpu_support=yes", "gpu_support=no")
    inv = _inventory(tmp_path, phone, str(no_gpu))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--accelerator", "gpu", "--runs", "3", "--json", "--no-store")
    assert res.returncode == 1, res.stderr  # printed first, then the verdict
    doc = json.loads(res.stdout)
    assert doc["runner"]["latency_ms"]["p50"] == 4.05  # the CPU's timings, as the real tool falls back
    assert "delegate" not in doc["headline"] and doc["headline"]["note"] == "measured on the device"
    rules = {f["rule"]: f for f in doc["findings"]}
    assert rules["gpu-not-applied"]["severity"] == "error"
    assert "GPU acceleration is unsupported on this platform." in rules["gpu-not-applied"]["message"]
    assert rules["gpu-numerics-not-compared"]["severity"] == "info"  # no inference_diff_binary in the entry


def test_gpu_outputs_beyond_tolerance_fail_and_no_xnnpack_reaches_the_tool(phone, tmp_path, run_cli):
    bad = _variant(tmp_path, DIFF_STANDIN, "output_error=2.5e-05", "output_error=0.5")
    inv = _inventory(tmp_path, phone, str(STANDIN), str(bad))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--accelerator", "gpu", "--runs", "3", "--json", "--no-store")
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["runner"]["numerics"]["passed"] is False
    (finding,) = [f for f in doc["findings"] if f["rule"] == "gpu-numerics"]
    assert finding["severity"] == "error" and "mean |diff| 0.5 >" in finding["message"]

    cpu = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--no-xnnpack", "--runs", "3", "--json", "--no-store")
    assert cpu.returncode == 0, cpu.stderr
    runner = json.loads(cpu.stdout)["runner"]
    assert runner["latency_ms"]["p50"] == 9.0 and runner["tool_settings"]["use_xnnpack"] is False
    assert "numerics" not in runner  # inference_diff compares a delegate: only with --accelerator gpu


def test_flags_and_paths_the_phone_path_cannot_honour_are_one_line_errors(phone, tmp_path, run_cli):
    model = _model(tmp_path)
    runner_only = _inventory(tmp_path, phone, None)
    res = run_cli("bench", model, "--device", "phone", "-t", "android-arm64", "--inventory", runner_only,
                  "--accelerator", "gpu", "--no-store")
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0
    assert "needs benchmark_binary" in res.stderr
    inv = _inventory(tmp_path, phone, str(STANDIN), "/data/local/tmp/nowhere/inference_diff")
    for extra, words in ((["--accelerator", "npu"], "npu"), (["--runtime", "tflite-runtime"], "LiteRT's own tool"),
                         (["--accelerator", "gpu"], "inference_diff_binary '/data/local/tmp/nowhere/inference_diff'")):
        res = run_cli("bench", model, "--device", "phone", "-t", "android-arm64", "--inventory", inv, *extra,
                      "--runs", "2", "--no-store")
        assert res.returncode == 2, (extra, res.stdout, res.stderr)
        assert res.stderr.strip().count("\n") == 0 and words in res.stderr, res.stderr
    cpu_target = run_cli("bench", model, "--device", "phone", "-t", "rpi4-arm64", "--inventory",
                         _inventory(tmp_path, phone, str(STANDIN)), "--accelerator", "gpu", "--no-store")
    assert cpu_target.returncode == 2 and "has no gpu delegate" in cpu_target.stderr


def test_devices_check_says_whether_inference_diff_is_there(phone, tmp_path, run_cli):
    found = run_cli("devices", "check", "phone", "--inventory",
                    _inventory(tmp_path, phone, str(STANDIN), str(DIFF_STANDIN)), "--json")
    assert found.returncode == 0, found.stderr
    facts = json.loads(found.stdout)
    assert (facts["inference_diff_binary"], facts["inference_diff_found"]) == (str(DIFF_STANDIN), True)
    gone = run_cli("devices", "check", "phone", "--inventory",
                   _inventory(tmp_path, phone, str(STANDIN), "/data/local/tmp/nowhere/inference_diff"))
    assert gone.returncode == 0  # benchmark_model is there: the phone benches; only GPU numerics are missing
    assert "GPU numerics: inference_diff (/data/local/tmp/nowhere/inference_diff: MISSING)" in gone.stdout
    assert "edgetk android setup --tool inference_diff" in gone.stdout
    unset = run_cli("devices", "check", "phone", "--inventory", _inventory(tmp_path, phone, str(STANDIN)))
    assert "GPU numerics: inference_diff (not set)" in unset.stdout


def test_a_delegation_the_op_table_did_not_predict_is_said_loudly(phone, tmp_path, run_cli):
    partial = _variant(tmp_path, STANDIN, "gpu_coverage=full", "gpu_coverage=partial")
    inv = _inventory(tmp_path, phone, str(partial))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--accelerator", "gpu", "--runs", "3", "--json", "--no-store")
    assert res.returncode == 0, res.stderr  # a partial delegation runs: the verdict is a warning, not a failure
    doc = json.loads(res.stdout)
    prediction = doc["runner"]["gpu_prediction"]
    assert (prediction["predicted"], prediction["observed"], prediction["agrees"]) == ("full", "partial", False)
    rules = {f["rule"]: f["severity"] for f in doc["findings"]}
    assert rules["gpu-prediction-wrong"] == "warning" and rules["gpu-partial"] == "warning"
    assert "PREDICTION WRONG (gpu delegate): the op table predicted full, the phone's GPU delegate did partial" \
        in res.stderr
    assert doc["headline"]["delegate"] == "GPU"  # it did run on the GPU, partly


def test_a_gpu_delegate_that_refuses_the_model_is_a_verdict_not_a_crash(phone, tmp_path, run_cli):
    refusing = _variant(tmp_path, STANDIN, "gpu_coverage=full", "gpu_coverage=refused")
    inv = _inventory(tmp_path, phone, str(refusing), str(DIFF_STANDIN))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--accelerator", "gpu", "--runs", "3", "--json", "--no-store")
    assert res.returncode == 1, res.stderr  # the verdict (exit 1), printed first; not a runtime crash (6)
    doc = json.loads(res.stdout)
    BenchDocument.model_validate(doc)
    assert doc["headline"]["p50_ms"] is None and "latency_ms" not in doc["runner"]
    assert doc["runner"]["delegates"][0]["coverage"] == "refused" and "numerics" not in doc["runner"]
    (refused,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert refused["rule"] == "gpu-refused" and "dynamic-sized tensors" in refused["message"]
    assert doc["runner"]["gpu_prediction"]["observed"] == "refused"
    text = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                   "--accelerator", "gpu", "--runs", "3", "--no-store")
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert "GPU delegate on the phone: REFUSED the model" in text.stdout


def test_gpu_per_op_is_the_delegate_node_and_a_fleet_row_names_the_delegate(phone, tmp_path, run_cli):
    inv = _inventory(tmp_path, phone, str(STANDIN))
    res = run_cli("bench", _model(tmp_path), "--device", "phone", "-t", "android-arm64", "--inventory", inv,
                  "--accelerator", "gpu", "--per-op", "--runs", "3", "--json", "--no-store")
    assert res.returncode == 0, res.stderr
    per_op = json.loads(res.stdout)["per_op"]
    assert [(o["index"], o["op"], o["ms"]) for o in per_op["ops"]] == [(3, "TfLiteGpuDelegateV2", 1.45)]
    assert per_op["source"] == "profiler" and per_op["timing"] == "measured"
    fleet = run_cli("bench", _model(tmp_path), "--device", "phone", "--inventory", inv, "--accelerator", "gpu",
                    "--runs", "3", "--no-store")
    assert fleet.returncode == 0, fleet.stderr
    row = next(ln for ln in fleet.stdout.splitlines() if "phone" in ln)  # its first line: the figures
    assert "1.500" in row and "0.000" not in row  # its median; the tool prints no p90: "-", not a made-up 0
    assert "(adb)" in fleet.stdout  # the transport beside the device name (folded at 80 columns)
    as_json = run_cli("bench", _model(tmp_path), "--device", "phone", "--inventory", inv, "--accelerator", "gpu",
                      "--runs", "3", "--json", "--no-store")
    assert as_json.returncode == 0, as_json.stderr
    (one,) = json.loads(as_json.stdout)
    assert one["result"]["headline"]["delegate"] == "GPU" and one["result"]["timing"] == "measured"
