"""`edgetk android setup`: the official benchmark_model URL, and one line (exit 3) when it cannot download."""

from __future__ import annotations

import socket

from toolkit.devices.android import BASE_URL, benchmark_model_url, tool_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with-block ends: nothing listens there


def test_the_url_is_the_official_nightly_build_for_the_abi() -> None:
    assert BASE_URL.startswith("https://storage.googleapis.com/tensorflow-nightly-public/")
    assert benchmark_model_url("arm64-v8a").endswith("/nightly/latest/android_aarch64_benchmark_model")
    assert benchmark_model_url("armeabi-v7a").endswith("/android_arm_benchmark_model")
    assert tool_url("arm64-v8a", "inference_diff").endswith("/nightly/latest/android_aarch64_eval_inference_diff")


def test_no_network_is_one_line_naming_the_url_and_exit_3(run_cli, tmp_path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/lite/tools/nightly/latest"
    res = run_cli("android", "setup", "--base-url", base, "--out", tmp_path / "out")
    assert res.returncode == 3
    assert res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr
    assert f"{base}/android_aarch64_benchmark_model" in res.stderr and "benchmark_binary = PATH" in res.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_inference_diff_without_network_names_its_url_and_its_devices_toml_key(run_cli, tmp_path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/lite/tools/nightly/latest"
    res = run_cli("android", "setup", "--tool", "inference_diff", "--base-url", base, "--out", tmp_path / "out")
    assert res.returncode == 3 and res.stderr.strip().count("\n") == 0
    assert f"{base}/android_aarch64_eval_inference_diff" in res.stderr and "inference_diff_binary = PATH" in res.stderr
    unknown = run_cli("android", "setup", "--tool", "hexagon")
    assert unknown.returncode == 2 and "known: benchmark_model, inference_diff" in unknown.stderr


def test_unknown_abi_is_bad_input(run_cli) -> None:
    res = run_cli("android", "setup", "--abi", "x86")
    assert res.returncode == 2 and "known: arm64-v8a, armeabi-v7a" in res.stderr
