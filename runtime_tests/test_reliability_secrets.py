"""A key passphrase given through the environment (password_env) never reaches an output: every stdout and
stderr, the results database, JSON results, the debug logs and every other file edgetk wrote are grepped.

The device is a real sshd on loopback whose ``python3`` runs the arm64 image under qemu-user (as in
runtime_tests/test_ssh.py); the client key is encrypted, and the secret is what decrypts it (paramiko uses
the password for key decryption when no separate passphrase is given).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from runtime_tests.sshd import arm_image_root, authorize, start_server

pytestmark = pytest.mark.device
USER = "edgetk-sec"
SECRET = "Pa55-phrase-Zq8v1x"
WRONG = "Wr0ng-phrase-Kp3m7y"


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory):
    image = arm_image_root()
    work = tmp_path_factory.mktemp("sshd-secrets")
    srv = start_server(work, [USER], arm_image=image)
    key = work / "encrypted_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", SECRET, "-f", str(key)], check=True)
    authorize(USER, key.with_suffix(".pub"), arm_image=image)
    yield srv, key
    srv.stop()


def _everything_written(*roots: Path) -> str:
    return "".join(p.read_bytes().decode("latin-1") for root in roots for p in root.rglob("*") if p.is_file())


def test_key_passphrase_from_env_never_appears_in_any_output(device, tmp_path: Path, run_cli,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from toolkit.model.builder import build_single_op_model

    srv, key = device
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\n'
                   f'port = {srv.port}\nuser = "{USER}"\nidentity_file = "{key}"\nknown_hosts = "{srv.known_hosts}"\n'
                   f'password_env = "EDGETK_KEY_PASS"\n')  # fmt: skip
    model = tmp_path / "relu.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    db = tmp_path / "results.sqlite"
    outputs = []

    monkeypatch.setenv("EDGETK_KEY_PASS", SECRET)
    bench = run_cli("bench", model, "--target", "rpi4-arm64", "--device", "pi", "--inventory", inv, "--runs", "2",
                    "--warmup", "0", "--json", "--db", db)  # fmt: skip
    assert bench.returncode == 0, bench.stderr
    doc = json.loads(bench.stdout)
    assert doc["transport"] == "ssh" and doc["runner"]["latency_ms"]["runs"] == 2
    outputs += [bench, run_cli("results", "export", "--format", "json", "--db", db),
                run_cli("devices", "list", "--inventory", inv, "--json"),
                run_cli("devices", "check", "pi", "--inventory", inv, "--json")]

    monkeypatch.setenv("EDGETK_KEY_PASS", WRONG)
    wrong = run_cli("bench", model, "--target", "rpi4-arm64", "--device", "pi", "--inventory", inv, "--db", db)
    assert wrong.returncode == 4 and wrong.stderr.startswith("error:"), wrong.stderr
    outputs.append(wrong)

    home = Path(os.environ["EDGETK_HOME"])
    written = _everything_written(home, tmp_path, Path("/home") / USER / ".cache" / "edgetk")
    printed = "".join(p.stdout + p.stderr for p in outputs)
    for secret in (SECRET, WRONG):
        assert secret not in printed and secret not in written
    assert "Traceback" not in printed
    assert "EDGETK_KEY_PASS" in inv.read_text()  # only the variable's name is stored
