"""AdbTransport through the REAL adb client (Debian's adb 29) against the loopback peer in adb_peer.py.

No Android phone or emulator can be had here, so the device is a test peer that speaks the adb wire protocol.
What these tests prove: the adb client is driven correctly (serial selection, `adb shell` quoting of every
argv element, shell-v2 exit codes and signals, push/pull through `sync:`, the on-device sha256 content cache,
run-directory cleanup), and the runner runs on an aarch64 Python (the peer's PATH puts a qemu-user shim for
the arm64 image's python3 first).
What they do NOT prove: Android behaviour — the peer's shell is the host's /bin/sh (glibc, not bionic/toybox),
files live on the host filesystem (a temp dir stands in for /data/local/tmp), and there is no SELinux, AUTH
dialog, or phone CPU. See runtime_tests/adb_peer.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from runtime_tests.adb_peer import AdbPeer
from runtime_tests.sshd import arm_image_root, free_port, python_shim
from toolkit.devices.deploy import RUNNER
from toolkit.errors import DeviceError
from toolkit.transports.adb import AdbTransport

pytestmark = pytest.mark.device


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory):
    image = arm_image_root()
    work = tmp_path_factory.mktemp("adbpeer")
    shim_dir = work / "bin"
    python_shim(shim_dir, image, "root")
    port = free_port()
    assert not 5555 <= port <= 5585  # those are auto-detected as emulator-5554
    dev = AdbPeer(port, env={"PATH": f"{shim_dir}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, cwd=str(work))
    dev.serial = f"127.0.0.1:{port}"
    dev.root = work / "data/local/tmp/edgetk"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))  # a private adb server: no clash with others
        res = subprocess.run(["adb", "connect", dev.serial], capture_output=True, text=True, timeout=60)
        assert "connected to" in res.stdout, res.stdout + res.stderr
        yield dev
        subprocess.run(["adb", "kill-server"], capture_output=True, timeout=60)
    dev.close()


def transport(peer: AdbPeer) -> AdbTransport:
    return AdbTransport(peer.serial, remote_dir=str(peer.root), label="peer")


def test_bench_runner_end_to_end_with_cache_and_cleanup(peer: AdbPeer, tmp_path: Path) -> None:
    from toolkit.model.builder import build_single_op_model

    model = tmp_path / "relu.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    with transport(peer) as tr:
        run_dir = Path(tr.run_dir)
        assert run_dir.is_dir()
        m, r = tr.put(model), tr.put(RUNNER)
        res = tr.run([*tr.python_argv(), r, "--model", m, "--runs", "3", "--warmup", "1",
                      "--outputs-npz", "out.npz"])
        assert res.ok, res.stderr
        tr.get(f"{tr.run_dir}/out.npz", tmp_path / "out.npz")
        first_sent = [p.bytes_sent for p in tr.puts]
    assert not run_dir.exists()
    doc = json.loads(res.stdout)
    assert doc["device"]["arch"] == "aarch64" and doc["latency_ms"]["runs"] == 3
    assert (tmp_path / "out.npz").read_bytes()[:2] == b"PK"  # a real .npz came back through `adb pull`
    assert first_sent == [model.stat().st_size, RUNNER.stat().st_size]

    received = peer.bytes_received
    with transport(peer) as tr:
        tr.put(model)
        tr.put(RUNNER)
        assert [p.cached for p in tr.puts] == [True, True]
    assert peer.bytes_received == received  # nothing pushed the second time


def test_exit_codes_signals_and_hostile_names(peer: AdbPeer, tmp_path: Path) -> None:
    src = tmp_path / "f.bin"
    src.write_bytes(b"data")
    with transport(peer) as tr:
        assert tr.run(["sh", "-c", "exit 9"]).returncode == 9
        assert tr.run(["sh", "-c", "kill -ABRT $$"]).signal == "SIGABRT"
        for name in ["it's \"q\".tflite", "a b; touch CANARY", "$(touch CANARY)", "`touch CANARY`"]:
            remote = tr.put(src, name)
            assert tr.run(["cat", remote]).stdout == "data"
            assert tr.run(["echo", name]).stdout == name + "\n"
        listing = tr.run(["ls", "-A"]).stdout.splitlines()
        canaries = [n for n in listing if "CANARY" in n]  # a created CANARY file would show up here
        assert sorted(canaries) == sorted(["a b; touch CANARY", "$(touch CANARY)", "`touch CANARY`"])
    assert not list(Path(peer.root).parents[3].rglob("CANARY"))  # nowhere in the peer's tree either


def test_unknown_serial_is_a_clear_error(peer: AdbPeer) -> None:
    with pytest.raises(DeviceError, match="adb device 127.0.0.1:1 is not available"):
        AdbTransport("127.0.0.1:1", remote_dir=str(peer.root)).connect()


def test_deploy_cli_over_adb(peer: AdbPeer, tmp_path: Path, run_cli) -> None:
    inv = tmp_path / "devices.toml"
    add = run_cli("devices", "add", "phone", "--target", "android-arm64", "--transport", "adb", "--serial",
                  peer.serial, "--remote-dir", peer.root, "--inventory", inv)
    assert add.returncode == 0, add.stderr
    model = tmp_path / "m.tflite"
    model.write_bytes(os.urandom(4096))
    res = run_cli("deploy", model, "--device", "phone", "--inventory", inv, "--json")
    assert res.returncode == 0, res.stderr
    files = json.loads(res.stdout)["files"]
    assert Path(files[0]["remote_path"]).read_bytes() == model.read_bytes()
    assert files[0]["remote_path"].startswith(str(peer.root) + "/blobs/")


def test_check_on_device_over_adb(peer: AdbPeer, tmp_path: Path, run_cli) -> None:
    """`check --device` through the real adb client: the peer's emulated aarch64 LiteRT really runs RELU and
    really lacks CALL (what a phone's LiteRT build would say is not proven here, see the module docstring)."""
    from toolkit.model.builder import build_single_op_model

    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.phone]\ntarget = "android-arm64"\ntransport = "adb"\nserial = "{peer.serial}"\n'
                   f'remote_dir = "{peer.root}"\n')
    for op, code, verdict in (("RELU", 0, "runs"), ("CALL", 1, "does-not-run")):
        model = tmp_path / f"{op.lower()}.tflite"
        model.write_bytes(build_single_op_model(op))
        res = run_cli("check", model, "--device", "phone", "--inventory", inv, "--json")
        assert res.returncode == code, res.stderr
        phone = json.loads(res.stdout)["results"][0]
        assert (phone["device"], phone["transport"], phone["verdict"]) == ("phone", "adb", verdict)
        assert (phone["observed"]["verdict"], phone["agrees"]) == (verdict, True)
    assert phone["observed"]["message"].startswith("Didn't find op for builtin opcode 'CALL'")
