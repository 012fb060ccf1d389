"""A phone without Python: `bench` over adb runs LiteRT's benchmark_model, through the REAL adb client.

The device is the loopback adb peer (runtime_tests/adb_peer.py: the adb wire protocol, the host's /bin/sh),
with ``python3`` made unavailable on its PATH, as on a phone. The benchmark_model it runs is a STAND-IN:
runtime_tests/data/benchmark_model_standin.sh takes the documented flags and prints the documented output
format (tflite/tools/benchmark/README.md) with made-up numbers, because the real benchmark_model is a bionic
binary that cannot run on these machines. What this proves: the device entry's ``benchmark_binary`` is
pushed, made executable and run with the flags from the bench options, its output becomes the bench
document (timings measured, op profile as per_op), and `devices check` names the path and what is missing.
What it does not prove: anything about a real phone or a real benchmark_model build.
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


def _inventory(tmp_path: Path, phone: AdbPeer, binary: str | None) -> Path:
    inv = tmp_path / "devices.toml"
    extra = f'benchmark_binary = "{binary}"\n' if binary else ""
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
