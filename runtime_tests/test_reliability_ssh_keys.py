"""A garbage identity file, against a real OpenSSH sshd on loopback (issue 17: it was exit 70): one line
naming the file, a documented exit code, no traceback; with --ask-password and no terminal, no
GetPassWarning."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fuzz import cli_contract_problem
from runtime_tests.sshd import start_server

pytestmark = pytest.mark.device
USER = "edgetk-keys"


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path / "sshd", [USER])
    yield srv
    srv.stop()


@pytest.mark.parametrize("key", [b"\x00\xff random bytes \x13" * 20,
                                 b"-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n-----END OPENSSH PRIVATE KEY-----\n",
                                 b""], ids=["random", "pem-garbage", "empty"])
def test_a_garbage_identity_file_is_one_line_naming_it(server, tmp_path: Path, run_cli, key: bytes) -> None:
    identity = tmp_path / "id_garbage"
    identity.write_bytes(key)
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\n'
                   f'port = {server.port}\nuser = "{USER}"\nidentity_file = "{identity}"\n'
                   f'known_hosts = "{server.known_hosts}"\nconnect_timeout = 5\n')  # fmt: skip
    from toolkit.model.builder import build_single_op_model

    model = tmp_path / "m.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    for argv in (["devices", "check", "pi", "--inventory", inv],
                 ["bench", model, "-t", "rpi4-arm64", "--device", "pi", "--inventory", inv, "--no-store"]):
        proc = run_cli(*argv)
        assert proc.returncode == 2, proc.stderr  # the user's file, not the device: exit 2 before any login
        assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
        assert f"identity file {identity} is not a private key" in proc.stderr


def test_the_real_key_still_logs_in(server, tmp_path: Path, run_cli) -> None:
    """The identity check does not refuse a key ssh-keygen wrote (the fixture's ed25519 client key)."""
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\n'
                   f'port = {server.port}\nuser = "{USER}"\nidentity_file = "{server.client_key}"\n'
                   f'known_hosts = "{server.known_hosts}"\nconnect_timeout = 5\n')  # fmt: skip
    proc = run_cli("devices", "check", "pi", "--inventory", inv)
    assert proc.returncode in (0, 1), proc.stderr  # 1: a runtime missing for the user, still logged in
    assert "pi: " in proc.stdout and "Python" in proc.stdout


def test_ctrl_c_during_a_deploy_says_interrupted_not_connection_lost(server, tmp_path: Path) -> None:
    """Issue 17: "Ctrl-C during deploy reports 'connection lost'", and it took 8 s to over a minute to exit
    (paramiko waited for the queued upload to cross the link). A 4 MB model through a 256 kB/s link (the
    throttling proxy of test_reliability_ssh), SIGINT once the partial upload is on the device: exit 130
    with the one interrupted line within 3 s, no partial upload, blob or run directory left on the device,
    and no process of the device user left running."""
    import os
    import pwd
    import signal
    import subprocess
    import sys
    import time

    import numpy as np

    from runtime_tests.test_fleet import _procs_of
    from runtime_tests.test_reliability_ssh import LinkProxy
    from toolkit.model.builder import ModelBuilder

    b = ModelBuilder()
    x = b.add_tensor([1, 4], name="x")
    w = b.add_tensor([1_000_000], data=np.zeros(1_000_000, np.float32), name="w")  # 4 MB of weights
    y = b.add_tensor([1, 4], name="y")
    b.add_op("RELU", [x], [y])
    b.set_io([x], [y])
    del w
    model = tmp_path / "big.tflite"
    model.write_bytes(b.build())
    base = Path(pwd.getpwnam(USER).pw_dir) / ".cache" / "edgetk"
    proxy = LinkProxy(server.port, rate=256 << 10)
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\n'
                   f'port = {proxy.port}\nuser = "{USER}"\nidentity_file = "{server.client_key}"\n'
                   f'known_hosts = "{tmp_path / "known_hosts"}"\nconnect_timeout = 10\n')  # fmt: skip
    (tmp_path / "known_hosts").write_text(server.known_hosts_line().replace(f":{server.port} ", f":{proxy.port} "))
    proc = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "deploy", str(model), "-d", "pi", "--inventory",
                             str(inv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())

    def partial_bytes() -> int:
        return sum(p.stat().st_size for p in (base / "blobs").glob("*.tmp-*")) if (base / "blobs").is_dir() else 0

    try:
        deadline = time.monotonic() + 60
        while partial_bytes() < 512 << 10 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)  # poll interval: the model's upload under way (4 MB take ~16 s)
        assert proc.poll() is None and partial_bytes() >= 512 << 10, proc.communicate()
        proc.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - stopped
    finally:
        proc.kill()
        proxy.close()
    assert proc.returncode == 130, err
    assert cli_contract_problem(proc.returncode, out, err) is None, err
    assert "interrupted (Ctrl-C)" in err and "connection lost" not in err
    assert took < 3, f"exit took {took:.1f}s after SIGINT"
    print(f"exit 130 {took:.1f} s after SIGINT")
    assert sorted(p.name for p in (base / "blobs").iterdir()) == [], "partial upload or blob left"
    assert list((base / "runs").iterdir()) == [], "run directory left"
    deadline = time.monotonic() + 2
    while _procs_of(USER) and time.monotonic() < deadline:
        time.sleep(0.05)  # poll interval: sshd ends the reset session's sftp server and holder
    assert _procs_of(USER) == []
