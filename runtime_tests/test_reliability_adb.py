"""adb device faults through the REAL adb client (Debian's adb 29) against the loopback peer (adb_peer.py).

The adb client exits 0 when the device vanishes mid-command (it never got an exit packet), so AdbTransport
ends every device command with a marker carrying the real status and treats a missing marker as a lost
device (or a shell killed on the device). These tests cut the link the two ways a phone goes away — the
transport's connection is dropped (`adb disconnect`) and the device end dies (the peer process SIGKILLed) —
while a command runs, and check one DeviceError naming the serial, no hang, and that the next connection
cleans the dead run's directory.
What they do NOT prove: how a real phone's adbd behaves over USB (unplugging, the server's USB re-enumeration,
an authorization prompt); the peer is glibc Linux speaking the adb protocol over TCP (see adb_peer.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime_tests.adb_peer import AdbPeer
from runtime_tests.sshd import free_port
from toolkit.errors import BadInputError, DeviceError
from toolkit.transports.adb import AdbTransport

pytestmark = pytest.mark.device
REPO = Path(__file__).resolve().parents[1]
PEER_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


@pytest.fixture(scope="module")
def adb_server():
    """A private adb server for this module (its own port): no clash with other tests' servers."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))
        yield
        subprocess.run(["adb", "kill-server"], capture_output=True, timeout=60)


def adb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["adb", *args], capture_output=True, text=True, timeout=60)


def connect_serial(serial: str) -> None:
    """`adb connect` and poll until the server lists the device as ready."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        adb("connect", serial)
        if adb("-s", serial, "get-state").stdout.strip() == "device":
            return
        time.sleep(0.1)  # poll interval while the adb server (re)connects
    raise AssertionError(f"adb never saw {serial} as a device")


def wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)  # poll interval


def cut_when_started(run_dir: str, cut: Callable[[], None]) -> threading.Thread:
    """Once the command under test has written ``started`` in the run directory, cut the link."""

    def watch() -> None:
        wait_for(lambda: (Path(run_dir) / "started").is_file())
        cut()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


LONG_COMMAND = ["sh", "-c", "echo $$ > started.tmp && mv started.tmp started && echo partial && exec sleep 60"]


def kill_leftover(run_dir: Path) -> None:
    """The peer stops commands of a dropped stream itself; a SIGKILLed peer cannot, so the test does."""
    started = run_dir / "started"
    if started.is_file():
        try:
            os.killpg(os.getpgid(int(started.read_text())), signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_adb_disconnect_mid_run_is_a_device_error(adb_server, tmp_path: Path) -> None:
    peer = AdbPeer(free_port(), env=PEER_ENV, cwd=str(tmp_path))
    serial = f"127.0.0.1:{peer.port}"
    try:
        connect_serial(serial)
        tr = AdbTransport(serial, remote_dir=str(tmp_path / "edgetk"))
        with tr:
            assert tr.run(["sh", "-c", "printf 'no newline' >&2; exit 3"]).stderr == "no newline"  # marker removed
            watcher = cut_when_started(tr.run_dir, lambda: adb("disconnect", serial))
            with pytest.raises(DeviceError) as err:
                tr.run(LONG_COMMAND, timeout=120)
            watcher.join()
        assert str(err.value).startswith(f"connection to {serial} lost while running sh (after ")
        run_dir = Path(tr.run_dir)
        left = int((run_dir / "started").read_text())
        assert running(left)  # adbd hangs up only the shell it started: the command under it runs on
        holder = int((run_dir / ".owner").read_text())
        deadline = time.monotonic() + 20  # the hung-up holder shell exits on its own time (slow under load);
        while running(holder) and time.monotonic() < deadline:  # a run whose holder lives is not dead yet
            time.sleep(0.05)
        assert not running(holder), "the peer's SIGHUP did not end the holder shell"
        connect_serial(serial)
        with AdbTransport(serial, remote_dir=str(tmp_path / "edgetk")) as again:  # the dead run is cleaned
            assert not run_dir.exists() and Path(again.run_dir).is_dir()
            assert not running(left)  # and what still ran there was killed first
    finally:
        adb("disconnect", serial)
        peer.close()


def running(pid: int) -> bool:
    """Alive and not a zombie (PID 1 here never reaps orphans, and a zombie still answers kill -0)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


PEER_MAIN = """
import sys
sys.path.insert(0, sys.argv[1])
from runtime_tests.adb_peer import AdbPeer
AdbPeer(int(sys.argv[2]), env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, cwd=sys.argv[3])
print("ready", flush=True)
sys.stdin.read()
"""


def start_peer_process(port: int, cwd: Path) -> subprocess.Popen[str]:
    """The peer in its own process, so the test can SIGKILL the device end the way a crashing adbd dies."""
    proc = subprocess.Popen([sys.executable, "-c", PEER_MAIN, str(REPO), str(port), str(cwd)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_device_killed_mid_run_is_a_device_error_and_leftovers_are_cleaned(adb_server, tmp_path: Path) -> None:
    port = free_port()
    serial = f"127.0.0.1:{port}"
    proc = start_peer_process(port, tmp_path)
    run_dir = None
    try:
        connect_serial(serial)
        with AdbTransport(serial, remote_dir=str(tmp_path / "edgetk"), label="phone") as tr:
            run_dir = Path(tr.run_dir)
            cut_when_started(tr.run_dir, proc.kill)
            with pytest.raises(DeviceError) as err:
                tr.run(LONG_COMMAND, timeout=120)
            with pytest.raises(DeviceError, match=f"connection to {serial} \\(phone\\) lost while running"):
                tr.put(Path(__file__))  # every later command says the same
        message = str(err.value)
        assert message.startswith(f"connection to {serial} (phone) lost while running sh (after ")
        assert "\n" not in message and run_dir.is_dir()  # close() could not reach the device
        kill_leftover(run_dir)
        proc.wait(10)
        proc = start_peer_process(port, tmp_path)  # the device comes back
        connect_serial(serial)
        with AdbTransport(serial, remote_dir=str(tmp_path / "edgetk")) as tr:
            assert tr.run(["true"]).ok
            assert not run_dir.exists()  # its holder died with the device: the next connect removed it
    finally:
        if run_dir is not None:
            kill_leftover(run_dir)
        adb("disconnect", serial)
        proc.kill()
        proc.wait(10)


def test_shell_killed_on_the_device_is_not_reported_as_success(adb_server, tmp_path: Path) -> None:
    """The whole process group of the command dies (adb still exits with a status, but no marker came): an
    error saying the command ended without a status, not a RunResult that looks like a finished run."""
    peer = AdbPeer(free_port(), env=PEER_ENV, cwd=str(tmp_path))
    serial = f"127.0.0.1:{peer.port}"
    try:
        connect_serial(serial)
        with AdbTransport(serial, remote_dir=str(tmp_path / "edgetk")) as tr:
            with pytest.raises(DeviceError, match=f"sh on {serial} ended without an exit status"):
                tr.run(["sh", "-c", "echo some output; kill -9 0"])
            killed = tr.run(["sh", "-c", "kill -SEGV $$"])  # a crashed program is still a result
            assert (killed.returncode, killed.signal) == (139, "SIGSEGV")
    finally:
        adb("disconnect", serial)
        peer.close()


# ---- process control: a timeout, Ctrl-C and a killed edgetk stop what runs on the device -----------------
def working_under(root: Path) -> list[int]:
    """Live (non-zombie) processes whose working directory is ``root`` or below it (deleted or not)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = os.readlink(entry / "cwd").removesuffix(" (deleted)")
            except OSError:
                continue
            if (cwd == str(root) or cwd.startswith(f"{root}/")) and running(int(entry.name)):
                found.append(int(entry.name))
    return found


def with_cmdline(needle: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", needle], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found if running(int(p))]


def test_command_past_its_timeout_is_killed_on_the_device_as_a_group(adb_server, tmp_path: Path) -> None:
    """The shell adbd started, the program and the program's own children (a backgrounded sleep) all die at the
    timeout — the peer, like adbd, would only SIGHUP the shell when the client is killed."""
    peer = AdbPeer(free_port(), env=PEER_ENV, cwd=str(tmp_path))
    serial, tag = f"127.0.0.1:{peer.port}", "sleep 3031"
    try:
        connect_serial(serial)
        with AdbTransport(serial, remote_dir=str(tmp_path / "edgetk")) as tr:
            started = time.monotonic()
            with pytest.raises(DeviceError, match=f"command sh timed out after 2s on {serial} \\(stopped there\\)"):
                tr.run(["sh", "-c", f"{tag} & {tag}; wait"], timeout=2)
            assert time.monotonic() - started < 10
            wait_for(lambda: not with_cmdline(tag), timeout=5)
            assert tr.run(["true"]).ok  # the device is still usable
            assert list((tmp_path / "edgetk" / "pids").iterdir()) == []  # no pid record left behind
    finally:
        for pid in with_cmdline(tag):
            os.kill(pid, signal.SIGKILL)
        adb("disconnect", serial)
        peer.close()


@pytest.fixture(scope="module")
def arm_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``python3`` on the peer's PATH that is the arm64 image's interpreter under qemu-user."""
    from runtime_tests.sshd import arm_image_root, python_shim

    shim_dir = tmp_path_factory.mktemp("adbshim") / "bin"
    python_shim(shim_dir, arm_image_root(), "root")
    return shim_dir


def start_bench(tmp_path: Path, arm_bin: Path) -> tuple[AdbPeer, str, Path, subprocess.Popen[str]]:
    """A peer whose python3 is aarch64, and `edgetk bench` of a small model with far more runs than it will
    get to, started as a real CLI process; returns once the runner runs on the device."""
    from toolkit.model.builder import build_single_op_model

    peer = AdbPeer(free_port(), env={"PATH": f"{arm_bin}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, cwd=str(tmp_path))
    serial, root = f"127.0.0.1:{peer.port}", tmp_path / "edgetk"
    connect_serial(serial)
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.phone]\ntarget = "android-arm64"\ntransport = "adb"\nserial = "{serial}"\n'
                   f'remote_dir = "{root}"\n')
    model = tmp_path / "relu.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    argv = [sys.executable, "-m", "toolkit.cli", "bench", str(model), "--device", "phone", "--inventory", str(inv),
            "--runs", "100000000", "--warmup", "0", "--no-store"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env=os.environ.copy())
    wait_for(lambda: bool(with_cmdline(f"{root}/runs/.*--runs 100000000")) or proc.poll() is not None, timeout=180)
    assert proc.poll() is None, proc.communicate()
    time.sleep(0.5)  # into the timed loop
    return peer, serial, root, proc


def test_ctrl_c_of_an_adb_bench_kills_the_runner_on_the_device(adb_server, tmp_path: Path, arm_bin: Path) -> None:
    peer, serial, root, proc = start_bench(tmp_path, arm_bin)
    try:
        on_device = working_under(root / "runs")
        assert on_device  # the runner (and the shells above it) work in the run directory
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
        assert proc.returncode == 130, err
        progress = "phone: running on adb (android-arm64)"  # the status line printed before the signal
        assert [line for line in err.strip().splitlines() if line != progress] == ["error: interrupted (Ctrl-C)"], err
        assert took < 5, took
        wait_for(lambda: not any(running(p) for p in on_device), timeout=5)
        assert working_under(root) == [] and list((root / "pids").iterdir()) == []
        assert list((root / "runs").iterdir()) == []  # the run directory went with it
    finally:
        proc.kill()
        proc.wait()
        for pid in working_under(root):
            os.kill(pid, signal.SIGKILL)
        adb("disconnect", serial)
        peer.close()


def test_next_connect_reaps_what_a_killed_edgetk_left_on_the_adb_device(adb_server, tmp_path: Path,
                                                                      arm_bin: Path) -> None:
    """edgetk SIGKILLed mid-run says nothing to anyone: the runner keeps running on the device until the next
    connect, which kills it (its holder is gone) before anything else."""
    peer, serial, root, proc = start_bench(tmp_path, arm_bin)
    try:
        proc.kill()
        proc.wait()
        time.sleep(1.0)
        left = working_under(root / "runs")
        assert left and with_cmdline(f"{root}/runs/.*--runs 100000000")  # nobody stopped it
        with AdbTransport(serial, remote_dir=str(root)) as tr:
            assert [p for p in left if running(p)] == []
            assert tr.run(["true"]).ok
            assert [p.name for p in (root / "runs").iterdir()] == [Path(tr.run_dir).name]
            assert list((root / "pids").iterdir()) == []
        wait_for(lambda: working_under(root) == [], timeout=10)  # and the new session's holder ended with it
        wait_for(lambda: not with_cmdline(f"-s {serial} shell"), timeout=10)  # the orphaned adb client ended too
    finally:
        for pid in working_under(root):
            os.kill(pid, signal.SIGKILL)
        adb("disconnect", serial)
        peer.close()


def test_remote_dir_tilde_is_the_device_home_and_dot_dot_is_refused(adb_server, tmp_path: Path) -> None:
    """The SSH rules through the one validator (toolkit.transports.remote_sh): ``~`` and ``~/x`` are under the
    device shell's $HOME, never a literal ``~`` directory; ``..`` and ``~user`` are refused before connecting."""
    home = tmp_path / "home"
    home.mkdir()
    peer = AdbPeer(free_port(), env={**PEER_ENV, "HOME": str(home)}, cwd=str(tmp_path))
    bare = AdbPeer(free_port(), env=PEER_ENV, cwd=str(tmp_path))  # a device shell without $HOME
    serial = f"127.0.0.1:{peer.port}"
    try:
        connect_serial(serial)
        for remote_dir, base in (("~/edgetk", home / "edgetk"), ("~", home), ("~/", home)):
            with AdbTransport(serial, remote_dir=remote_dir) as tr:
                assert Path(tr.run_dir).parent == base / "runs" and tr.run(["true"]).ok
        assert not list(tmp_path.rglob("~*"))  # no literal ~ anywhere
        for bad, why in (("~/../escape", "'..' is not allowed"), ("/data/local/tmp/../../etc", "'..' is not allowed"),
                         ("~root/x", "only ~ and ~/... "), ("edgetk", "must be an absolute path")):  # fmt: skip
            with pytest.raises(BadInputError, match=why) as err:
                AdbTransport(serial, remote_dir=bad)
            assert "\n" not in str(err.value)
        connect_serial(f"127.0.0.1:{bare.port}")
        with pytest.raises(BadInputError, match=r"the device shell has no usable \$HOME \(unset\); write the path"):
            AdbTransport(f"127.0.0.1:{bare.port}", remote_dir="~/edgetk").connect()
        assert not (tmp_path / "escape").exists() and not list(tmp_path.rglob("~*"))
    finally:
        for p in (peer, bare):
            adb("disconnect", f"127.0.0.1:{p.port}")
            p.close()
