"""Fleet runs: one model benched on two SSH devices and one emulator in parallel, plus a broken device.

The SSH devices are two users of a real OpenSSH sshd on 127.0.0.1 whose python3 is the arm64 image's
interpreter under qemu-user (runtime_tests/sshd.py); the emulator device is the qemu-user transport.
The timings are emulated (not a Pi's); what is asserted is that every device returns its own real runner
result and that one device's failure does not stop the others.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime_tests.sshd import SshServer, arm_image_root, free_port, start_server

pytestmark = pytest.mark.device
USERS = ["edgetk-f1", "edgetk-f2"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = start_server(tmp_path_factory.mktemp("sshd-fleet"), USERS, arm_image=arm_image_root())
    yield srv
    srv.stop()


def write_inventory(path: Path, srv: SshServer, *, broken: bool) -> Path:
    text = ""
    for i, user in enumerate(USERS, 1):
        text += (f'[devices.pi{i}]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\nport = {srv.port}\n'
                 f'user = "{user}"\nidentity_file = "{srv.client_key}"\nknown_hosts = "{srv.known_hosts}"\n\n')
    text += '[devices.emu]\ntarget = "rpi4-arm64"\ntransport = "emulator"\n\n'
    if broken:
        text += (f'[devices.gone]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\nport = {free_port()}\n'
                 f'known_hosts = "{srv.known_hosts}"\nconnect_timeout = 3\n')
    path.write_text(text)
    return path


@pytest.fixture
def model(tmp_path: Path) -> Path:
    from toolkit.model.builder import build_single_op_model

    path = tmp_path / "relu.tflite"
    path.write_bytes(build_single_op_model("RELU"))
    return path


def test_two_ssh_devices_and_an_emulator_return_three_results_despite_a_dead_one(
    server: SshServer, tmp_path: Path, model: Path
) -> None:
    from toolkit.bench import BenchOptions
    from toolkit.bench.fleet import bench_fleet

    inv = write_inventory(tmp_path / "devices.toml", server, broken=True)
    results = bench_fleet(model, ["pi1", "gone", "pi2", "emu"], BenchOptions(runs=3, warmup=1), max_parallel=4,
                          inventory=inv)
    assert [r.device for r in results] == ["pi1", "gone", "pi2", "emu"]
    ok = [r for r in results if r.ok]
    assert [r.device for r in ok] == ["pi1", "pi2", "emu"]
    for r in ok:
        assert r.result.runner["device"]["arch"] == "aarch64"
        assert r.result.latency_ms["runs"] == 3 and r.result.latency_ms["mean"] > 0
        assert r.result.device == r.device
    assert [r.transport for r in ok] == ["ssh", "ssh", "emulator"]
    gone = results[1]
    assert gone.exit_code == 4 and "cannot reach" in gone.error


def test_bench_cli_all_devices(server: SshServer, tmp_path: Path, model: Path, run_cli) -> None:
    inv = write_inventory(tmp_path / "devices.toml", server, broken=False)
    res = run_cli("bench", model, "--all-devices", "--inventory", inv, "--runs", "2", "--warmup", "0",
                  "--no-store", "--json")
    assert res.returncode == 0, res.stderr
    docs = json.loads(res.stdout)
    assert sorted(d["device"] for d in docs) == ["emu", "pi1", "pi2"]
    assert all(d["ok"] and d["result"]["runner"]["latency_ms"]["runs"] == 2 for d in docs)


def _procs_of(user: str, pattern: str = ".") -> list[int]:
    """Live (non-zombie) processes of ``user`` whose command line matches ``pattern`` (ps on the host: the sshd
    is local, so the devices' processes are this machine's)."""
    found = subprocess.run(["pgrep", "-u", user, "-f", "--", pattern], capture_output=True, text=True).stdout.split()
    alive = []
    for pid in found:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z":
                alive.append(int(pid))
        except (OSError, IndexError):
            continue
    return alive


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # poll interval
    return True


def test_ctrl_c_of_a_fleet_bench_over_ssh_stops_every_device_at_once(server: SshServer, tmp_path: Path,
                                                                     model: Path) -> None:
    """Two SSH devices in the middle of a long bench: SIGINT ends the CLI in about a second with one line, and
    every remote runner (and its session) is gone from the device — a fleet thread's remote wait sees the
    cancel and kills its process group on the device before the CLI exits."""
    inv = write_inventory(tmp_path / "devices.toml", server, broken=False)
    argv = [sys.executable, "-m", "toolkit.cli", "bench", str(model), "--device", "pi1", "--device", "pi2",
            "--inventory", str(inv), "--runs", "100000000", "--warmup", "0", "--no-store"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    runner = "--runs 100000000"
    try:
        started = _wait(lambda: all(_procs_of(u, runner) for u in USERS) or proc.poll() is not None, 180)
        assert started and proc.poll() is None, proc.communicate()
        time.sleep(1.0)  # both in their timed loops
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130, err
    progress = {f"{d}: running on ssh (rpi4-arm64)" for d in ("pi1", "pi2")}  # printed before the signal
    assert [line for line in err.strip().splitlines() if line not in progress] == ["error: interrupted (Ctrl-C)"]
    assert took < 3, f"exit took {took:.1f}s after SIGINT"
    assert all(_procs_of(u, runner) == [] for u in USERS)  # the runners died before the CLI exited
    assert _wait(lambda: all(_procs_of(u) == [] for u in USERS), 5), {u: _procs_of(u) for u in USERS}
    for user in USERS:
        base = Path(pwd.getpwnam(user).pw_dir) / ".cache" / "edgetk"
        assert list((base / "pids").iterdir()) == [] and list((base / "runs").iterdir()) == []
