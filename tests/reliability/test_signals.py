"""Ctrl-C and SIGTERM end everything the CLI started: the runtime's process group, the run dir, the temp
dirs; one line on stderr, exit 130 / 143. The runtime children are real (LiteRT, TFLM) on real models."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.fuzz import cli_contract_problem


def _pids_with(needle: str, *, cwd: bool = False) -> list[int]:
    """Live (non-zombie) processes whose command line (or working directory) mentions ``needle``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (os.readlink(entry / "cwd") if cwd else
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if needle in text and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_for(predicate, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _sigterm_once_running(args: list[str], env: dict[str, str], cwd: Path, child: str) -> None:
    """Start `edgetk ARGS`, SIGTERM it once a process mentioning ``child`` runs: exit 143, one line, and that
    child is gone."""
    proc = subprocess.Popen([sys.executable, "-m", "toolkit.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        _wait_for(lambda: _pids_with(child), what=child)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert cli_contract_problem(proc.returncode, out, err) is None, err
    time.sleep(0.3)
    assert _pids_with(child) == []


CASES = [  # (name, seed, target, extra argv): a long LiteRT bench and a TFLM run that never ends
    ("litert", "tf-conv", "host-x86_64", ["--runs", "10000000", "--warmup", "0"]),
    ("tflm", "cyclic-cond-is-body", "cortex-m4", ["--runs", "1", "--warmup", "0"]),
]


@pytest.mark.slow  # four real benches interrupted by signals (seconds each): make test only
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(("name", "seed", "target", "extra"), CASES, ids=[c[0] for c in CASES])
def test_signal_during_bench_kills_the_runtime_and_removes_the_run_dir(
    tmp_path: Path, seeds, sig, name, seed, target, extra
) -> None:
    model = tmp_path / f"sig-{name}-{sig.name}-{os.getpid()}.tflite"
    model.write_bytes(seeds[seed])
    argv = [sys.executable, "-m", "toolkit.cli", "bench", str(model), "--target", target, "--no-store", *extra]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        _wait_for(lambda: _pids_with(f"run-{proc.pid}-", cwd=True), what="the runner child")
        time.sleep(0.5)  # into the timed loop
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    code = 130 if sig == signal.SIGINT else 143
    assert proc.returncode == code, err
    assert cli_contract_problem(proc.returncode, out, err) is None, err
    assert "stopped 1 child process group" in err or "interrupted" in err or "terminated" in err
    time.sleep(0.3)
    assert _pids_with(f"run-{proc.pid}-", cwd=True) == []  # nothing left running under PID 1
    cache = Path(os.environ["EDGETK_CACHE"])
    assert list(cache.glob(f"*/runs/run-{proc.pid}-*")) == []  # the run dir went with it


def test_a_signal_ignored_at_start_stays_ignored(tmp_path: Path, seeds) -> None:
    """A background job of a non-interactive shell starts with SIGINT ignored, so that Ctrl-C stops only the
    foreground; edgetk must not take it over: the bench runs to its end and prints its result."""
    model = tmp_path / f"ign-{os.getpid()}.tflite"
    model.write_bytes(seeds["tf-conv"])
    argv = ["env", "--ignore-signal=INT", sys.executable, "-m", "toolkit.cli", "bench", str(model),
            "--target", "host-x86_64", "--no-store", "--runs", "300", "--warmup", "0"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        _wait_for(lambda: _pids_with(f"run-{proc.pid}-", cwd=True), what="the runner child")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted" not in err and "p50" in out, (out, err)


def test_sigterm_during_convert_kills_the_worker_and_removes_its_temp_dir(tmp_path: Path) -> None:
    """The TensorFlow worker (a real conversion of a Keras model) is stopped with the CLI."""
    src = tmp_path / "slow_model.py"
    src.write_text(
        "import time\n"
        "import tensorflow as tf\n"
        "def build():\n"
        "    time.sleep(600)\n"  # the worker imports TF, then sits in the user's builder
        "    return tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "TMPDIR": str(tmp_path)}  # fmt: skip
    mine = f"toolkit.convert.worker {tmp_path}/edgetk-convert-"  # its request file is in our TMPDIR
    _sigterm_once_running(["convert", str(src) + ":build", "-o", str(tmp_path / "o.tflite")], env, tmp_path, mine)
    assert list(tmp_path.glob("edgetk-convert-*")) == []


def test_ctrl_c_of_a_fleet_bench_stops_every_device_at_once(tmp_path: Path, seeds) -> None:
    """Two local devices benching in parallel threads: SIGINT ends both runtimes and the CLI within seconds."""
    model = tmp_path / f"fleet-{os.getpid()}.tflite"
    model.write_bytes(seeds["tf-conv"])
    inventory = tmp_path / "devices.toml"
    inventory.write_text("".join(f'[devices.d{i}]\ntarget = "host-x86_64"\ntransport = "local"\n\n' for i in range(2)))
    argv = [sys.executable, "-m", "toolkit.cli", "bench", str(model), "--all-devices", "--inventory", str(inventory),
            "--runs", "10000000", "--warmup", "0", "--no-store"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        _wait_for(lambda: len(_pids_with(f"run-{proc.pid}-", cwd=True)) >= 2, what="both runner children")
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert took < 5, took
    time.sleep(0.3)
    assert _pids_with(f"run-{proc.pid}-", cwd=True) == []


@pytest.mark.slow  # a real LiteRT child kept busy by a 2e9-iteration WHILE, then stopped
def test_sigterm_during_compare_numerics_kills_the_child_and_removes_its_temp_dir(tmp_path: Path) -> None:
    from toolkit.model.builder import while_model

    model = tmp_path / "loop.tflite"
    model.write_bytes(while_model(2_000_000_000))
    mine = f"{tmp_path}/edgetk-numerics-"  # the numerics child's arguments name its temp dir
    _sigterm_once_running(["compare", str(model), str(model)], {**os.environ, "TMPDIR": str(tmp_path)}, tmp_path, mine)
    assert list(tmp_path.glob("edgetk-numerics-*")) == []
