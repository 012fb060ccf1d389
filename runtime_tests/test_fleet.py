"""Fleet runs: one model benched on two SSH devices and one emulator in parallel, plus a broken device.

The SSH devices are two users of a real OpenSSH sshd on 127.0.0.1 whose python3 is the arm64 image's
interpreter under qemu-user (runtime_tests/sshd.py); the emulator device is the qemu-user transport.
The timings are emulated (not a Pi's); what is asserted is that every device returns its own real runner
result and that one device's failure does not stop the others.
"""

from __future__ import annotations

import json
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
                          inventory=inv, progress=False)
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
