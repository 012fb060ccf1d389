"""SshTransport against a real OpenSSH sshd on 127.0.0.1 (see runtime_tests/sshd.py).

What this proves: host-key checking, key auth, SFTP upload + hash check + content cache, run directories and
their cleanup, quoting of hostile file names, all through the same OpenSSH server a Raspberry Pi runs.
What it does not: network latency/loss, or a board's own sshd build (its version/config may differ).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from runtime_tests.sshd import SshServer, arm_image_root, descendants, describe, keygen, start_server
from toolkit.errors import DeviceError, HostKeyError
from toolkit.transports.ssh import SshSettings, SshTransport

pytestmark = pytest.mark.device
USER = "edgetk-t1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = start_server(tmp_path_factory.mktemp("sshd"), [USER])
    yield srv
    srv.stop()


def settings(server: SshServer, **kw) -> SshSettings:
    base = dict(host="127.0.0.1", port=server.port, user=USER, identity_file=str(server.client_key),
                known_hosts=str(server.known_hosts), connect_timeout=10, label="t1")
    base.update(kw)
    return SshSettings(**base)


def remote_home() -> Path:
    return Path("/home") / USER


def test_put_run_get_and_cleanup(server: SshServer, tmp_path: Path) -> None:
    src = tmp_path / "model.tflite"
    src.write_bytes(os.urandom(300_000))
    with SshTransport(settings(server)) as tr:
        run_dir = Path(tr.run_dir)
        assert run_dir.is_dir() and run_dir.is_relative_to(remote_home() / ".cache/edgetk/runs")
        remote = tr.put(src)
        res = tr.run(["sha256sum", remote])
        assert res.ok and res.stdout.split()[0] == tr.puts[0].sha256
        assert tr.puts[0].bytes_sent == 300_000 and not tr.puts[0].cached
        back = tmp_path / "back.bin"
        tr.get(remote, back)
        assert back.read_bytes() == src.read_bytes()
        fail = tr.run(["sh", "-c", "echo oops >&2; exit 7"])
        assert (fail.returncode, fail.stderr.strip(), fail.ok) == (7, "oops", False)
        killed = tr.run(["sh", "-c", "kill -SEGV $$"])
        assert killed.signal == "SIGSEGV"
    assert not run_dir.exists()


def test_a_closed_session_leaves_no_zombie(server: SshServer) -> None:
    """The session's processes ([priv], the user's sshd, internal-sftp, the holder cat) are orphaned as it
    ends (the monitor does not wait for its child): below the fixture's subreaper they are reaped within
    20 ms; re-parented to this machine's PID 1 they stayed zombies for ~2 s."""
    with SshTransport(settings(server)) as tr:
        assert tr.run(["true"]).ok
        session = descendants(server.proc.pid)
        assert len(session) >= 4, describe(session)  # [priv], USER@notty, internal-sftp, cat
    deadline = time.monotonic() + 1.0
    while (left := {p for p in session if Path(f"/proc/{p}").exists()}) and time.monotonic() < deadline:
        time.sleep(0.02)  # poll interval while the session ends on the server side
    assert not left, f"not reaped 1 s after close: {describe(left)}"


def test_unchanged_file_is_not_sent_again(server: SshServer, tmp_path: Path) -> None:
    src = tmp_path / "m.tflite"
    src.write_bytes(os.urandom(200_000))
    with SshTransport(settings(server)) as tr:
        first = tr.put_record(src)
    with SshTransport(settings(server)) as tr:
        second = tr.put_record(src, "renamed.tflite")
        assert tr.run(["cmp", second.remote_path, second.blob_path]).ok
    assert (first.cached, first.bytes_sent) == (False, 200_000)
    assert (second.cached, second.bytes_sent) == (True, 0)
    assert first.blob_path == second.blob_path


def test_corrupted_cache_blob_is_replaced(server: SshServer, tmp_path: Path) -> None:
    src = tmp_path / "c.tflite"
    src.write_bytes(os.urandom(50_000))
    with SshTransport(settings(server)) as tr:
        rec = tr.put_record(src)
    Path(rec.blob_path).write_bytes(b"truncated")
    with SshTransport(settings(server)) as tr:
        again = tr.put_record(src)
    assert (again.cached, again.bytes_sent) == (False, 50_000)
    assert Path(rec.blob_path).read_bytes() == src.read_bytes()


def test_run_dir_removed_after_failure_and_stale_dirs_cleaned(server: SshServer) -> None:
    with pytest.raises(RuntimeError), SshTransport(settings(server)) as tr:
        failed_dir = Path(tr.run_dir)
        raise RuntimeError("bench blew up")
    assert not failed_dir.exists()
    # A session that dies without close() (Ctrl-C, killed process): the next connect removes its directory.
    crashed = SshTransport(settings(server))
    crashed.connect()
    stale = Path(crashed.run_dir)
    holder_pid = int((stale / ".owner").read_text())
    crashed._client.close()  # drop the link the hard way, no cleanup
    wait_until_dead(holder_pid)  # sshd reaps the session's holder process
    with SshTransport(settings(server)) as tr:
        assert not stale.exists()
        assert Path(tr.run_dir).is_dir()


def wait_until_dead(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} still alive")


HOSTILE = ["it's a \"model\".tflite", "a b; touch CANARY.tflite", "$(touch CANARY).tflite", "`touch CANARY`"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_names_are_never_executed(server: SshServer, tmp_path: Path, name: str) -> None:
    src = tmp_path / "plain.tflite"
    src.write_bytes(b"payload " + name.encode())
    with SshTransport(settings(server)) as tr:
        remote = tr.put(src, name)
        res = tr.run(["cat", remote])
        listing = tr.run(["ls", "-A"])
        canaries = tr.run(["sh", "-c", 'ls -A "$HOME" . | grep -c CANARY || true'])
    assert res.ok and res.stdout == f"payload {name}"
    assert name in listing.stdout.splitlines()
    assert canaries.stdout.strip() == ("1" if "CANARY" in name else "0")  # only the file we named, nothing created


def test_unknown_host_key_is_refused_with_verify_hint(server: SshServer, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    with pytest.raises(HostKeyError) as err:
        SshTransport(settings(server, known_hosts=str(empty))).connect()
    msg = str(err.value)
    assert "unknown host key" in msg and "ssh-keyscan" in msg and "SHA256:" in msg
    assert not empty.exists()


def test_trust_on_first_use_writes_known_hosts_only_with_flag(server: SshServer, tmp_path: Path) -> None:
    kh = tmp_path / "sub" / "known_hosts"
    with SshTransport(settings(server, known_hosts=str(kh), trust_new_host_key=True)):
        pass
    assert kh.read_text() == server.known_hosts_line()
    with SshTransport(settings(server, known_hosts=str(kh))) as tr:  # now known: no flag needed
        assert tr.run(["true"]).ok


def test_changed_host_key_is_refused(server: SshServer, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key")
    kind, b64 = other.with_suffix(".pub").read_text().split()[:2]
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[127.0.0.1]:{server.port} {kind} {b64}\n")
    for trust in (False, True):  # --trust-new-host-key never overrides a CHANGED key
        with pytest.raises(HostKeyError, match="CHANGED") as err:
            SshTransport(settings(server, known_hosts=str(kh), trust_new_host_key=trust)).connect()
        assert "ssh-keygen -R" in str(err.value)
    assert kh.read_text() == f"[127.0.0.1]:{server.port} {kind} {b64}\n"


def test_wrong_key_is_a_clear_auth_error_and_password_never_leaks(
    server: SshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = keygen(tmp_path / "wrong_key")
    monkeypatch.setenv("EDGETK_TEST_PW", "s3cr3t-Hunter2")
    tr = SshTransport(settings(server, identity_file=str(wrong), password_env="EDGETK_TEST_PW"))
    with pytest.raises(DeviceError, match="authentication failed for edgetk-t1@127.0.0.1") as err:
        tr.connect()
    assert "s3cr3t" not in str(err.value) + repr(tr) + repr(tr.settings) + repr(err.value)


def test_unreachable_host_is_a_clear_error(server: SshServer) -> None:
    from runtime_tests.sshd import free_port

    with pytest.raises(DeviceError, match="cannot reach edgetk-t1@127.0.0.1"):
        SshTransport(settings(server, port=free_port(), connect_timeout=3)).connect()


def test_ssh_config_alias_with_proxyjump(server: SshServer, tmp_path: Path) -> None:
    """HostName/Port/User/IdentityFile/ProxyJump come from an ssh_config alias; the jump goes through the same
    sshd (direct-tcpip), so both hops are checked against known_hosts."""
    cfg = tmp_path / "ssh_config"
    cfg.write_text(
        f"Host jumpbox\n  HostName 127.0.0.1\n  Port {server.port}\n  User {USER}\n  IdentityFile {server.client_key}\n"
        f"Host pi\n  HostName 127.0.0.1\n  Port {server.port}\n  User {USER}\n  IdentityFile {server.client_key}\n"
        "  ProxyJump jumpbox\n"
    )
    s = SshSettings(host="pi", ssh_config=str(cfg), known_hosts=str(server.known_hosts))
    with SshTransport(s) as tr:
        assert len(tr._jumps) == 1
        assert tr.run(["whoami"]).stdout.strip() == USER


# ---- a device that is really aarch64: host sshd + python3 shim running the arm64 image's interpreter -----
ARM_USER = "edgetk-arm"


@pytest.fixture(scope="module")
def arm_server(tmp_path_factory: pytest.TempPathFactory):
    image = arm_image_root()
    srv = start_server(tmp_path_factory.mktemp("sshd-arm"), [ARM_USER], arm_image=image)
    yield srv
    srv.stop()


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    from toolkit.model.builder import build_single_op_model

    path = tmp_path / "relu model.tflite"
    path.write_bytes(build_single_op_model("RELU"))
    return path


def add_device(run_cli, inv: Path, name: str, srv: SshServer, user: str, *extra: str) -> None:
    res = run_cli("devices", "add", name, "--target", "rpi4-arm64", "--transport", "ssh", "--host", "127.0.0.1",
                  "--port", srv.port, "--user", user, "--identity-file", srv.client_key,
                  "--known-hosts", srv.known_hosts, "--inventory", inv, *extra)
    assert res.returncode == 0, res.stderr


def test_check_deploy_and_run_on_an_aarch64_device(arm_server: SshServer, tmp_path: Path, run_cli,
                                                    tiny_model: Path) -> None:
    inv = tmp_path / "devices.toml"
    add_device(run_cli, inv, "pi", arm_server, ARM_USER)
    check = run_cli("devices", "check", "pi", "--inventory", inv, "--json")
    assert check.returncode == 0, check.stderr
    facts = json.loads(check.stdout)
    assert facts["arch"] == "aarch64" and facts["python"].startswith("3.11") and facts["ready"]
    assert facts["runtimes"]["tflite_runtime"] == "2.14.0" and facts["os"].startswith("Debian GNU/Linux 12")

    first = json.loads(run_cli("deploy", tiny_model, "--device", "pi", "--inventory", inv, "--json").stdout)
    second = run_cli("deploy", tiny_model, "--device", "pi", "--inventory", inv)
    assert [f["cached"] for f in first["files"]] == [False, False]
    assert second.returncode == 0 and second.stdout.count("cached (not sent)") == 2
    model_blob = Path(first["files"][0]["remote_path"])
    assert model_blob.read_bytes() == tiny_model.read_bytes()
    assert model_blob.is_relative_to(Path("/home") / ARM_USER / ".cache/edgetk/blobs")

    from toolkit.devices import transport_for_device
    from toolkit.devices.deploy import RUNNER

    with transport_for_device("pi", inventory=inv) as tr:
        model = tr.put(tiny_model)
        runner = tr.put(RUNNER)
        res = tr.run([*tr.python_argv(), runner, "--model", model, "--runs", "3", "--warmup", "1"])
        assert sum(p.bytes_sent for p in tr.puts) == 0  # both already on the device
    doc = json.loads(res.stdout)
    assert res.ok, res.stderr
    assert doc["device"]["arch"] == "aarch64" and doc["device"]["board"].startswith("Raspberry Pi")
    assert doc["latency_ms"]["runs"] == 3 and doc["latency_ms"]["mean"] > 0


def test_missing_runtime_is_reported_with_install_hint(arm_server: SshServer, tmp_path: Path, run_cli) -> None:
    inv = tmp_path / "devices.toml"
    add_device(run_cli, inv, "bare", arm_server, ARM_USER, "--python", "/usr/bin/python3")  # host's, no numpy
    res = run_cli("devices", "check", "bare", "--inventory", inv)
    assert res.returncode == 1
    assert "numpy is missing" in res.stdout and "pip install ai-edge-litert" in res.stdout


def test_cli_auth_failure_exit_code_and_no_secret_anywhere(server: SshServer, tmp_path: Path, run_cli,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tmp_path / "devices.toml"
    wrong = keygen(tmp_path / "wrong")
    add_device(run_cli, inv, "t1", server, USER, "--password-env", "EDGETK_PI_PW")
    text = inv.read_text().replace(str(server.client_key), str(wrong))
    inv.write_text(text)
    secret = "pw-Sup3rS3cret-42"
    monkeypatch.setenv("EDGETK_PI_PW", secret)
    res = run_cli("devices", "check", "t1", "--inventory", inv)
    assert res.returncode == 4
    assert "authentication failed for edgetk-t1@127.0.0.1" in res.stderr
    home = Path(os.environ["EDGETK_HOME"])
    logs = [p.read_text(errors="replace") for p in home.rglob("*") if p.is_file()]
    assert secret not in res.stdout + res.stderr + inv.read_text() + "".join(logs)
    assert "EDGETK_PI_PW" in inv.read_text()  # only the variable's name is stored
