"""`bench --per-op` makes ONE deploy and ONE runner start for all slices on every transport with Python.

Real transports, instrumented only by counting: the local one, SSH to a real OpenSSH sshd on loopback whose
``python3`` is the arm64 image's interpreter under qemu-user (runtime_tests/sshd.py), and adb through the
real ``adb`` client against the loopback adb peer (runtime_tests/adb_peer.py; an Android phone cannot exist
here). What is asserted: the whole bench runs the runner twice (the plain whole-model run, then the batch),
the slices travel as one archive, and every op comes back timed with the whole model's provenance.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from toolkit.bench import BenchOptions, bench_model
from toolkit.model import load_model
from toolkit.runtimes.protocol import REMOTE_BATCH, REMOTE_MODEL
from toolkit.targets import load_registry
from toolkit.transports.adb import AdbTransport
from toolkit.transports.local import LocalTransport
from toolkit.transports.ssh import SshSettings, SshTransport

FEW = BenchOptions(runs=3, warmup=1, per_op=True)
USER = "edgetk-perop"


def counting(cls: type) -> type:
    """``cls`` recording the argv of every run and the remote name of every put (nothing else changes)."""

    class Counting(cls):  # type: ignore[misc, valid-type]
        def put(self, local: Path, name: str | None = None) -> str:
            self.sent = [*getattr(self, "sent", []), name or Path(local).name]
            return super().put(local, name)

        def run(self, argv: Sequence[str], **kwargs):  # type: ignore[no-untyped-def]
            self.started = [*getattr(self, "started", []), list(argv)]
            return super().run(argv, **kwargs)

    return Counting


def _bench_and_count(transport, target: str, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    from runtime_tests.emulator_fixtures import tiny_models

    model = tiny_models()["int8"]
    doc = bench_model(model, load_registry().get(target), options=FEW, transport=transport).to_dict()
    runners = [argv for argv in transport.started if any(str(a).endswith("edgetk_runner.py") for a in argv)]
    assert len(runners) == 2, runners  # the whole model's run, then ONE batch for every slice
    assert "--model" in runners[0] and "--batch" in runners[1]
    assert transport.sent.count(REMOTE_BATCH) == 1 and transport.sent.count(REMOTE_MODEL) == 1
    per_op = doc["per_op"]
    assert per_op["counts"]["timed"] == len(load_model(model).main_subgraph.operators)
    assert per_op["timing"] == doc["timing"] and per_op["whole_interleaved"]["ms"] > 0
    return doc


def test_local_per_op_is_one_runner_start(tmp_path: Path) -> None:
    transport = counting(LocalTransport)(tmp_path / "local")
    assert _bench_and_count(transport, "host-x86_64", tmp_path)["timing"] == "measured"


@pytest.mark.device
def test_ssh_per_op_is_one_deploy_and_one_runner_start(tmp_path: Path) -> None:
    from runtime_tests.sshd import arm_image_root, start_server

    server = start_server(tmp_path / "sshd", [USER], arm_image=arm_image_root())
    try:
        settings = SshSettings(host="127.0.0.1", port=server.port, user=USER, identity_file=str(server.client_key),
                               known_hosts=str(server.known_hosts), connect_timeout=10, label="pi")
        doc = _bench_and_count(counting(SshTransport)(settings), "rpi4-arm64", tmp_path)
    finally:
        server.stop()
    assert doc["transport"] == "ssh" and doc["runner"]["device"]["arch"] == "aarch64"


@pytest.mark.device
def test_adb_with_python_per_op_is_one_push_and_one_runner_start(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from runtime_tests.adb_peer import AdbPeer
    from runtime_tests.sshd import arm_image_root, free_port, python_shim

    python_shim(tmp_path / "bin", arm_image_root(), "root")
    port = free_port()
    peer = AdbPeer(port, env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, cwd=str(tmp_path))
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))  # a private adb server
    try:
        serial = f"127.0.0.1:{port}"
        res = subprocess.run(["adb", "connect", serial], capture_output=True, text=True, timeout=60)
        assert "connected to" in res.stdout, res.stdout + res.stderr
        transport = counting(AdbTransport)(serial, remote_dir=str(tmp_path / "data/local/tmp/edgetk"), label="peer")
        doc = _bench_and_count(transport, "rpi4-arm64", tmp_path)
    finally:
        subprocess.run(["adb", "kill-server"], capture_output=True, timeout=60)
        peer.close()
    assert doc["transport"] == "adb" and doc["runner"]["device"]["arch"] == "aarch64"
