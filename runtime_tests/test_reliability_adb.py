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
from toolkit.errors import DeviceError
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
        wait_for(lambda: not (run_dir / "started").exists() or not _alive(run_dir))  # the peer hung it up
        connect_serial(serial)
        with AdbTransport(serial, remote_dir=str(tmp_path / "edgetk")) as again:  # the dead run is cleaned
            assert not run_dir.exists() and Path(again.run_dir).is_dir()
    finally:
        adb("disconnect", serial)
        peer.close()


def _alive(run_dir: Path) -> bool:
    try:
        os.kill(int((run_dir / "started").read_text()), 0)
    except (ProcessLookupError, FileNotFoundError, ValueError):
        return False
    return True


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
