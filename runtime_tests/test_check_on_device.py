"""`edgetk check MODEL --device NAME`: the predicted verdict next to what the device really does.

The devices are real enough to disagree with a prediction: a real OpenSSH sshd on 127.0.0.1 whose test user's
python3 is the Debian 12 arm64 image's interpreter under qemu-user (tflite-runtime 2.14 aarch64 wheel), the
qemu-user emulator transport with the same image, and this machine (local, LiteRT). The runner really creates
the interpreter, allocates and invokes once; the error lines asserted are the runtime's own.
What this does not prove: a real Pi's kernel/CPU quirks (the shell around the emulated python3 is the host's).
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime_tests.sshd import SshServer, arm_image_root, free_port, set_password, start_server

pytestmark = pytest.mark.device
USER = "edgetk-od"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = start_server(tmp_path_factory.mktemp("sshd-ondevice"), [USER], arm_image=arm_image_root(),
                       password_auth=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """relu (runs everywhere), select (SELECT v1: tflite-runtime has it, TFLM not), call (CALL: no kernel in
    tflite-runtime 2.14 or LiteRT 2.3, per toolkit/targets/shipped/optables/*.json)."""
    from toolkit.model.builder import build_single_op_model, select_model

    out = tmp_path_factory.mktemp("ondevice-models")
    blobs = {"relu": build_single_op_model("RELU"), "select": select_model(1), "call": build_single_op_model("CALL")}
    for name, data in blobs.items():
        (out / f"{name}.tflite").write_bytes(data)
    return {name: out / f"{name}.tflite" for name in blobs}


def ssh_entry(name: str, srv: SshServer, *, key: bool = True, port: int | None = None, target: str = "rpi4-arm64"):
    lines = [f"[devices.{name}]", f'target = "{target}"', 'transport = "ssh"', 'host = "127.0.0.1"',
             f"port = {port or srv.port}", f'user = "{USER}"', f'known_hosts = "{srv.known_hosts}"']
    if key:
        lines.append(f'identity_file = "{srv.client_key}"')
    if port:
        lines.append("connect_timeout = 3")
    return "\n".join(lines) + "\n\n"


def inventory(path: Path, *entries: str) -> Path:
    path.write_text("".join(entries))
    return path


EMU = '[devices.emu]\ntarget = "rpi4-arm64"\ntransport = "emulator"\n\n'
LOCAL = '[devices.here]\ntarget = "host-x86_64"\ntransport = "local"\n\n'


def device_results(doc: dict) -> dict[str, dict]:
    return {r["device"]: r for r in doc["results"] if "device" in r}


def test_ssh_and_emulator_devices_run_select_v1(server: SshServer, models: dict, tmp_path: Path, run_cli) -> None:
    inv = inventory(tmp_path / "devices.toml", ssh_entry("pi", server), EMU)
    res = run_cli("check", models["select"], "--device", "pi", "--device", "emu", "--target", "cortex-m4",
                  "--inventory", inv, "--json")
    doc = json.loads(res.stdout)
    assert res.returncode == 1, res.stderr  # cortex-m4 (TFLM) is predicted not to run SELECT v1
    assert doc["schema"] == "edgetk.check/1" and doc["all_run"] is False and doc["disagreements"] == []
    assert doc["results"][0]["target"] == "cortex-m4" and "observed" not in doc["results"][0]
    devs = device_results(doc)
    assert [devs["pi"]["transport"], devs["emu"]["transport"]] == ["ssh", "emulator"]
    for r in devs.values():
        assert (r["verdict"], r["observed"]["verdict"], r["agrees"]) == ("runs", "runs", True)
        assert r["observed"]["runtime"] == "tflite-runtime 2.14.0" and r["observed"]["arch"] == "aarch64"
        assert r["observed"]["first_inference_ms"] > 0 and r["observed"]["exit_code"] == 0
    assert (devs["pi"]["emulated"], devs["emu"]["emulated"]) == (False, True)


def test_missing_kernel_observed_with_the_runtimes_own_error(server: SshServer, models: dict, tmp_path: Path,
                                                             run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    inv = inventory(tmp_path / "devices.toml", ssh_entry("pi", server), EMU, LOCAL)
    res = run_cli("check", models["call"], "--on-device", "--inventory", inv, "--json")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    devs = device_results(doc)
    assert sorted(devs) == ["emu", "here", "pi"] and doc["all_run"] is False
    for r in devs.values():
        obs = r["observed"]
        assert (r["verdict"], obs["verdict"], r["agrees"]) == ("does-not-run", "does-not-run", True)
        assert (obs["kind"], obs["op"], obs["exit_code"]) == ("missing-kernel", "CALL", 0)
        assert obs["message"].startswith("Didn't find op for builtin opcode 'CALL'")
        assert r["findings"][0]["rule"] == "missing_kernel" and r["findings"][0]["op"] == "CALL"
    assert devs["pi"]["observed"]["runtime"] == "tflite-runtime" and devs["here"]["observed"]["runtime"] == "litert"
    monkeypatch.setenv("COLUMNS", "200")
    text = run_cli("check", models["call"], "--device", "pi", "--inventory", inv)
    assert text.returncode == 1 and "does-not-run" in text.stdout and "Didn't find op" in text.stdout


def test_stale_op_table_disagreement_is_loud(models: dict, tmp_path: Path, run_cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A user target whose op table (wrongly) says tflite-runtime lacks SELECT: the device runs it anyway."""
    targets = Path(os.environ["EDGETK_HOME"]) / "config" / "targets"
    (targets / "optables").mkdir(parents=True)
    table = json.loads((REPO / "toolkit/targets/shipped/optables/tflite-runtime.json").read_text())
    table["ops"]["SELECT"] = {"code": 64, "status": "missing", "versions": []}
    (targets / "optables" / "stale.json").write_text(json.dumps(table))
    (targets / "stale-pi.toml").write_text('extends = "rpi4-arm64"\n[runtime]\nop_table = "stale.json"\n')
    inv = inventory(tmp_path / "devices.toml", EMU.replace("emu]", "old]").replace("rpi4-arm64", "stale-pi"))
    res = run_cli("check", models["select"], "--device", "old", "--inventory", inv, "--json")
    doc = json.loads(res.stdout)
    old = device_results(doc)["old"]
    assert (old["verdict"], old["observed"]["verdict"], old["agrees"]) == ("does-not-run", "runs", False)
    assert doc["disagreements"] == ["old"] and doc["all_run"] is True
    assert res.returncode == 0  # it does run on the device; the prediction was wrong
    assert "PREDICTION WRONG on old" in res.stderr and "stale.json" in res.stderr
    monkeypatch.setenv("COLUMNS", "200")
    text = run_cli("check", models["select"], "--device", "old", "--inventory", inv)
    assert "DISAGREES" in text.stdout and "PREDICTION WRONG on old" in text.stdout and "op table is stale" in text.stdout


def test_unreachable_device_is_not_checked_but_others_are(server: SshServer, models: dict, tmp_path: Path) -> None:
    from toolkit.devices import check_on_device
    from toolkit.devices.on_device import check_exit_code
    from toolkit.targets.check import CheckReport

    inv = inventory(tmp_path / "devices.toml", ssh_entry("gone", server, port=free_port()), LOCAL)
    gone = check_on_device(models["relu"], "gone", inventory=inv)
    here = check_on_device(models["relu"], "here", inventory=inv)
    assert (gone.predicted.verdict, gone.observed.verdict, gone.agrees) == ("runs", "not-checked", None)
    assert gone.observed.exit_code == 4 and "cannot reach" in gone.observed.message
    assert (here.observed.verdict, here.observed.arch, here.agrees) == ("runs", "x86_64", True)
    assert check_exit_code(CheckReport("relu.tflite", "", 0), [here, gone]) == 4


def test_single_device_bench_uses_the_given_inventory(server: SshServer, models: dict, tmp_path: Path,
                                                       run_cli) -> None:
    inv = inventory(tmp_path / "devices.toml", ssh_entry("pi", server))
    res = run_cli("bench", models["relu"], "--device", "pi", "--target", "rpi4-arm64", "--inventory", inv,
                  "--runs", "2", "--warmup", "0", "--no-store", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert (doc["device"], doc["transport"], doc["runner"]["device"]["arch"]) == ("pi", "ssh", "aarch64")
    assert doc["runner"]["latency_ms"]["runs"] == 2


def run_in_pty(args: list, answer: str, timeout: float = 180) -> tuple[int, str, bool]:
    """`edgetk ARGS` with a pseudo-terminal as its controlling tty; type ``answer`` at the password prompt.

    Returns (exit code, everything the terminal showed, whether a prompt was answered)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is its stdin/stdout/stderr and /dev/tty
        try:
            os.chdir(REPO)
            os.execv(sys.executable, [sys.executable, "-m", "toolkit.cli", *map(str, args)])
        finally:
            os._exit(127)
    out, answered, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"password for" in out:
                os.write(fd, answer.encode() + b"\n")
                answered = True
        else:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace").replace("\r\n", "\n"), answered


def test_ask_password_prompts_and_never_shows_the_password(server: SshServer, models: dict, tmp_path: Path) -> None:
    password = "Pw-od-9f3Kx!q"
    set_password(USER, password)
    inv = inventory(tmp_path / "devices.toml", ssh_entry("pwpi", server, key=False))
    code, shown, answered = run_in_pty(
        ["check", models["relu"], "--device", "pwpi", "--inventory", inv, "--ask-password", "--json"], password)
    assert answered and code == 0, shown
    doc, _ = json.JSONDecoder().raw_decode(shown[shown.index("{"):])
    assert device_results(doc)["pwpi"]["observed"]["verdict"] == "runs"
    assert f"password for {USER}@127.0.0.1:{server.port} (pwpi)" in shown

    code, shown_wrong, answered = run_in_pty(
        ["devices", "check", "pwpi", "--inventory", inv, "--ask-password"], "wrong-" + password)
    assert answered and code == 4 and "authentication failed" in shown_wrong and "password" in shown_wrong

    # no terminal at all (CI): getpass falls back to reading stdin
    piped = subprocess.run([sys.executable, "-m", "toolkit.cli", "devices", "check", "pwpi", "--inventory", inv,
                            "--ask-password"], input=password + "\n", capture_output=True, text=True, cwd=REPO,
                           start_new_session=True, timeout=180)
    assert piped.returncode == 0 and "aarch64" in piped.stdout, piped.stderr
    assert "GetPassWarning" not in piped.stderr and "Warning" not in piped.stderr  # issue 17: no TTY, no warning
    shown_wrong += piped.stdout + piped.stderr

    home = Path(os.environ["EDGETK_HOME"])
    stored = "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())
    assert password not in shown + shown_wrong + inv.read_text() + stored
