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
