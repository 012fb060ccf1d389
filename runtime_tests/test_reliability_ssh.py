"""SSH faults against a real OpenSSH sshd on loopback: the server killed mid-upload and mid-run, a dropped
or stalled link (a Python TCP proxy we can cut or throttle), a full disk on the device (a 1 MiB tmpfs as the
remote dir), a changed host key through the CLI — and the local results store intact afterwards.

What these prove: edgetk gives one clear error within the configured timeouts, never a half file that looks
valid, and the next connection cleans what the dead one left. What they do not: real radio links (loss,
reordering) — the proxy only cuts, stalls or slows a healthy TCP stream.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from runtime_tests.sshd import SshServer, keygen, start_server
from toolkit.errors import DeviceError
from toolkit.transports.ssh import SshSettings, SshTransport

pytestmark = pytest.mark.device
USER = "edgetk-rel"


class LinkProxy:
    """A loopback TCP proxy in front of sshd that can slow the link (bytes/s), stall it, or cut it."""

    def __init__(self, target_port: int, rate: float | None = None) -> None:
        self.target_port, self.rate = target_port, rate
        self.stalled = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(4096):
                while self.stalled:
                    time.sleep(0.05)  # poll interval of the stall switch
                if self.rate:
                    time.sleep(len(chunk) / self.rate)  # the throttle itself
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            self._drop(src, dst)  # this connection only: a client's reconnect through the proxy is its own

    def cut(self) -> None:
        """Drop every connection as a pulled cable followed by a reset would."""
        self._drop(*self.sockets)

    @staticmethod
    def _drop(*sockets: socket.socket) -> None:
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
        self.cut()


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path / "sshd", [USER])
    yield srv
    srv.stop()


def settings(server: SshServer, **kw) -> SshSettings:
    base = dict(host="127.0.0.1", port=server.port, user=USER, identity_file=str(server.client_key),
                known_hosts=str(server.known_hosts), connect_timeout=5, run_timeout=60, label="rel",
                progress=False)  # fmt: skip
    base.update(kw)
    if base["port"] != server.port and "known_hosts" not in kw:  # through the proxy: the same key, another port
        known = server.workdir / f"known_hosts_{base['port']}"
        known.write_text(server.known_hosts_line().replace(f":{server.port} ", f":{base['port']} "))
        base["known_hosts"] = str(known)
    return SshSettings(**base)


def kill_sessions(server: SshServer) -> None:
    """SIGKILL the per-connection sshd children of OUR server (by pid, read from /proc), then the server."""
    pid = server.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        grandchildren = Path(f"/proc/{child}/task/{child}/children")
        more = grandchildren.read_text().split() if grandchildren.exists() else []
        for p in [child, *more]:
            try:
                os.kill(int(p), 9)
            except ProcessLookupError:
                pass
    server.proc.kill()
    server.proc.wait()


def in_thread(fn):
    """Run ``fn`` in a thread; returns a getter that joins (bounded) and gives (result, exception)."""
    box: dict = {}

    def body():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()

    def join(timeout: float = 60):
        thread.join(timeout)
        assert not thread.is_alive(), "the transport call did not return after the fault"
        return box.get("result"), box.get("error")

    return join


def wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)  # poll interval


def remote_base() -> Path:
    return Path("/home") / USER / ".cache" / "edgetk"


def partial_blobs() -> list[Path]:
    return [p for p in (remote_base() / "blobs").glob("*") if ".tmp-" in p.name]


def kill_orphans() -> None:
    """A dropped session leaves the remote command running (sshd does not signal it): end OUR test's sleeps."""
    found = subprocess.run(["pgrep", "-u", USER, "-x", "sleep"], capture_output=True, text=True).stdout.split()
    for pid in found:
        try:
            os.kill(int(pid), 15)
        except ProcessLookupError:
            pass


def test_sshd_killed_mid_upload(server: SshServer, tmp_path: Path) -> None:
    big = tmp_path / "big.tflite"
    big.write_bytes(os.urandom(64 << 20))
    proxy = LinkProxy(server.port, rate=8 << 20)  # 8 MB/s: the upload takes seconds, not milliseconds
    tr = SshTransport(settings(server, port=proxy.port))
    tr.connect()
    first_run_dir = Path(tr.run_dir)
    join = in_thread(lambda: tr.put(big))
    wait_for(lambda: any(p.stat().st_size > 0 for p in partial_blobs()))
    kill_sessions(server)
    _, error = join()
    tr.close()
    proxy.close()
    assert isinstance(error, DeviceError) and "\n" not in str(error), repr(error)
    assert str(error).startswith("upload of big.tflite to ") and str(error).endswith("failed: connection lost")

    server.start()  # same port, same host key: the device is back
    with SshTransport(settings(server)) as tr2:
        assert not first_run_dir.exists()  # the dead session's run dir is removed by the next connect
        rec = tr2.put_record(big)
        assert not rec.cached and Path(rec.blob_path).read_bytes() == big.read_bytes()
    assert partial_blobs() == []


def test_sshd_killed_mid_run(server: SshServer) -> None:
    tr = SshTransport(settings(server))
    tr.connect()
    first_run_dir = Path(tr.run_dir)
    join = in_thread(lambda: tr.run(["sleep", "300"]))
    wait_for(lambda: subprocess.run(["pgrep", "-u", USER, "-x", "sleep"], capture_output=True).returncode == 0)
    kill_sessions(server)
    result, error = join()
    tr.close()
    kill_orphans()
    # A lost link is a DeviceError naming the host and the program (it used to be exit status -1).
    assert result is None and isinstance(error, DeviceError) and "\n" not in str(error), repr(error)
    assert f"connection to {USER}@127.0.0.1:{server.port} lost while running sleep" in str(error)
    server.start()
    with SshTransport(settings(server)) as tr2:
        assert tr2.run(["true"]).ok and Path(tr2.run_dir) != first_run_dir


def test_dropped_connection_during_run(server: SshServer) -> None:
    proxy = LinkProxy(server.port)
    tr = SshTransport(settings(server, port=proxy.port, keepalive_s=1))
    tr.connect()
    join = in_thread(lambda: tr.run(["sleep", "300"]))
    wait_for(lambda: subprocess.run(["pgrep", "-u", USER, "-x", "sleep"], capture_output=True).returncode == 0)
    first_run_dir = Path(tr.run_dir)
    proxy.cut()
    result, error = join()
    tr.close()
    proxy.close()
    kill_orphans()
    assert result is None and isinstance(error, DeviceError) and "lost while running sleep" in str(error)
    owner = int((first_run_dir / ".owner").read_text()) if first_run_dir.exists() else None
    wait_for(lambda: owner is None or not Path(f"/proc/{owner}").exists())  # sshd ends the holder on EOF
    with SshTransport(settings(server)) as tr2:  # the next connection removes what the dropped one left
        assert tr2.run(["true"]).ok
    assert not first_run_dir.exists()


def procs_working_in(directory: Path) -> list[int]:
    """Pids whose cwd is ``directory`` (what the device-side clean-up looks for), zombies excluded."""
    found = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            if os.readlink(cwd) == str(directory) and not is_dead(int(cwd.parent.name)):
                found.append(int(cwd.parent.name))
        except OSError:
            continue
    return found


def is_dead(pid: int) -> bool:
    """Gone, or a zombie not reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def as_user(argv: list[str], cwd: Path | str) -> subprocess.Popen:
    return subprocess.Popen(argv, user=USER, cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True)


def test_next_connect_kills_what_a_dropped_session_left_running(server: SshServer) -> None:
    """sshd does not signal a command whose session dropped: the next connect kills the processes still
    working in the dead run directory (and only those: the same user's other processes live on)."""
    outsider = as_user(["sleep", "299"], "/tmp")
    proxy = LinkProxy(server.port)
    tr = SshTransport(settings(server, port=proxy.port))
    tr.connect()
    run_dir = Path(tr.run_dir)
    join = in_thread(lambda: tr.run(["sh", "-c", "sleep 300 & sleep 301; wait"]))
    wait_for(lambda: len(procs_working_in(run_dir)) == 4)  # the session shell, sh and both sleeps
    orphans = procs_working_in(run_dir)
    proxy.cut()
    _, error = join()
    tr.close()
    proxy.close()
    assert isinstance(error, DeviceError)
    assert not any(is_dead(p) for p in orphans)  # the drop alone ends nothing on the device
    try:
        with SshTransport(settings(server)) as tr2:
            assert tr2.run(["true"]).ok
            assert all(is_dead(p) for p in orphans) and not run_dir.exists()
            assert outsider.poll() is None
    finally:
        outsider.kill()
        outsider.wait()
        kill_orphans()


def test_zombie_holder_and_stale_partial_uploads_are_cleaned_on_connect(server: SshServer) -> None:
    """A holder whose parent died stays a zombie when PID 1 never reaps it; it still answers `kill -0`, so
    its run dir must be judged by /proc/PID/stat. Partial uploads of dead runs go at once, unknown ones after
    ten minutes; a live run's partial upload stays."""
    with SshTransport(settings(server)) as tr:  # creates the remote layout
        live_run = Path(tr.run_dir)
        zombie = as_user(["true"], "/tmp")
        wait_for(lambda: is_dead(zombie.pid))  # exited, not reaped: a zombie of the test user
        try:
            dead_run = remote_base() / "runs" / "100-deadbeef"
            dead_run.mkdir()
            (dead_run / ".owner").write_text(f"{zombie.pid}\n")
            for p in (dead_run, dead_run / ".owner"):
                shutil.chown(p, USER, USER)  # as the device user would have made them
            blobs = remote_base() / "blobs"
            names = {"dead": "ab.tmp-100-deadbeef-0001", "live": f"ab.tmp-{live_run.name}-0002",
                     "old": "ab.tmp-0123abcd", "fresh": "ab.tmp-4567cdef"}  # fmt: skip
            for name in names.values():
                (blobs / name).write_bytes(b"partial")
            os.utime(blobs / names["old"], (time.time() - 3600, time.time() - 3600))
            assert os.kill(zombie.pid, 0) is None  # kill -0 says "alive"
            with SshTransport(settings(server)):
                assert not dead_run.exists()
                left = sorted(p.name for p in blobs.iterdir() if ".tmp-" in p.name)
                assert left == sorted([names["live"], names["fresh"]])
        finally:
            zombie.wait()
            for p in (remote_base() / "blobs").glob("ab.tmp-*"):
                p.unlink()


def test_stalled_link_times_out_at_connect(server: SshServer) -> None:
    proxy = LinkProxy(server.port)
    proxy.stalled = True
    join = in_thread(lambda: SshTransport(settings(server, port=proxy.port, connect_timeout=2)).connect())
    _, error = join(60)
    proxy.close()
    assert isinstance(error, DeviceError) and "timeout 2s" in str(error), repr(error)


def test_slow_link_still_delivers_intact_files(server: SshServer, tmp_path: Path) -> None:
    src = tmp_path / "m.tflite"
    src.write_bytes(os.urandom(300_000))
    proxy = LinkProxy(server.port, rate=150_000)
    with SshTransport(settings(server, port=proxy.port)) as tr:
        rec = tr.put_record(src)
        assert tr.run(["cat", rec.remote_path]).ok
    proxy.close()
    assert Path(rec.blob_path).read_bytes() == src.read_bytes()


@pytest.fixture
def tiny_disk(server: SshServer):
    """A 1 MiB tmpfs as the device's remote dir (we are root), owned by the test user.

    Each test mounts its own directory; tmpfs mounts an interrupted earlier run left behind are unmounted
    first (a stale mount in the home also stops `userdel -r` from removing it)."""
    home = Path(f"/home/{USER}")
    for stale in home.glob("tinydisk*"):
        subprocess.run(["umount", "-l", str(stale)], capture_output=True)  # fmt: skip
        shutil.rmtree(stale, ignore_errors=True)
    mount = Path(tempfile.mkdtemp(prefix="tinydisk-", dir=home))
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount)],
                         capture_output=True, text=True)  # fmt: skip
    if res.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    subprocess.run(["chown", f"{USER}:{USER}", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)  # lazy: a closing session may still sit in it
    shutil.rmtree(mount, ignore_errors=True)


def test_disk_full_on_the_device(server: SshServer, tiny_disk: Path, tmp_path: Path) -> None:
    big, small = tmp_path / "big.tflite", tmp_path / "small.tflite"
    big.write_bytes(os.urandom(3 << 20))
    small.write_bytes(os.urandom(10_000))
    with SshTransport(settings(server, remote_dir=str(tiny_disk / "edgetk"))) as tr:
        with pytest.raises(DeviceError) as err:
            tr.put(big)
        assert "\n" not in str(err.value) and "device disk full? 3,145,728 bytes needed" in str(err.value), str(err.value)
        assert [p for p in (tiny_disk / "edgetk" / "blobs").iterdir()] == []  # no half file left behind
        remote = tr.put(small)  # the link and the device are still usable
        assert Path(remote).read_bytes() == small.read_bytes()


def test_changed_host_key_through_the_cli_keeps_the_store_intact(server: SshServer, tmp_path: Path,
                                                                   run_cli) -> None:  # fmt: skip
    from toolkit.bench.store import ResultsStore

    db = tmp_path / "results.sqlite"
    store = ResultsStore(db)
    for i in range(3):
        store.append({"created_at": "t", "model_path": f"/m{i}", "model_sha256": "ab", "target": "rpi4-arm64",
                      "transport": "ssh", "options": {}, "runner": {}, "edgetk_version": "0"})
    before = [r.to_dict() for r in store.list()]
    other = keygen(tmp_path / "impostor")
    kind, b64 = other.with_suffix(".pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {kind} {b64}\n")
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.pi]\ntarget = "rpi4-arm64"\ntransport = "ssh"\nhost = "127.0.0.1"\n'
                   f'port = {server.port}\nuser = "{USER}"\nidentity_file = "{server.client_key}"\n'
                   f'known_hosts = "{known}"\nconnect_timeout = 5\n')  # fmt: skip
    model = tmp_path / "m.tflite"
    from toolkit.model.builder import build_single_op_model

    model.write_bytes(build_single_op_model("RELU"))
    res = run_cli("bench", model, "--target", "rpi4-arm64", "--device", "pi", "--db", db, "--inventory", inv)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 4 and len(lines) == 1 and lines[0].startswith("error:") and "CHANGED" in lines[0]
    check = run_cli("devices", "check", "pi", "--inventory", inv)  # a per-device status report, not one line
    assert check.returncode == 4 and "CHANGED" in check.stdout + check.stderr
    assert "Traceback" not in res.stdout + res.stderr + check.stdout + check.stderr
    kill_sessions(server)
    res = run_cli("bench", model, "--device", "pi", "--db", db, "--inventory", inv)  # the fleet path
    assert res.returncode == 4 and "cannot reach" in res.stdout + res.stderr
    assert [r.to_dict() for r in ResultsStore(db).list()] == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _sleepers(tag: str) -> list[str]:
    found = subprocess.run(["pgrep", "-u", USER, "-f", tag], capture_output=True, text=True)
    return found.stdout.split()


def test_remote_command_past_its_timeout_is_killed_as_a_group(server: SshServer) -> None:
    """The remote shell and its children (here a backgrounded sleep) die at the timeout, on the device."""
    tag = "sleep 3017"
    with SshTransport(settings(server)) as tr:
        started = time.monotonic()
        with pytest.raises(DeviceError, match="timed out after 2s .*stopped there"):
            tr.run(["sh", "-c", f"{tag} & {tag}; wait"], timeout=2)
        assert time.monotonic() - started < 15
        time.sleep(0.5)
        assert _sleepers(tag) == []
        assert tr.run(["true"]).ok  # the link is still usable


def test_next_connect_kills_what_a_dead_session_left_running(server: SshServer) -> None:
    """A session that died without a word (its edgetk SIGKILLed, the link gone): the group it started keeps
    running on the device (sshd does not signal it) until the next connect reaps it from the pid record kept
    apart from the run dir."""
    tag = "sleep 3018"
    tr = SshTransport(settings(server))
    tr.connect()
    runner = threading.Thread(target=lambda: pytest.raises(DeviceError, tr.run, ["sh", "-c", f"{tag} & {tag}"],
                                                           timeout=120), daemon=True)  # fmt: skip
    runner.start()
    deadline = time.monotonic() + 20
    while not _sleepers(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _sleepers(tag)
    tr._client.get_transport().sock.close()  # the link dies: no kill can be sent
    runner.join(timeout=30)
    time.sleep(1.0)
    assert _sleepers(tag)  # still running on the device
    with SshTransport(settings(server)):
        time.sleep(0.5)
        assert _sleepers(tag) == []


def _stat(pid: int) -> list[str]:
    """Fields after the command name of /proc/PID/stat: [state, ppid, pgrp, ...]."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()


def _group(pgid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = _stat(int(stat.parent.name))
        except (OSError, IndexError):
            continue
        if fields[2] == str(pgid) and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("leader", ["alive", "killed"])
def test_next_connect_reaps_a_dead_session_whose_run_dir_is_gone(server: SshServer, leader: str) -> None:
    """The issue's case: the session died, its run dir is already deleted, and what it started still runs with
    PPID 1 (here: the fixture's subreaper) and a deleted cwd — nothing left to find it by but the pid record
    kept apart from the run dir.
    "killed": the group's leader (the session shell) is gone too and only an orphaned child is left in it."""
    tag = "sleep 3023"
    tr = SshTransport(settings(server))
    tr.connect()
    run_dir = Path(tr.run_dir)
    join = in_thread(lambda: tr.run(["sh", "-c", f"({tag} &); {tag}"], timeout=120))
    wait_for(lambda: len(_sleepers(f"^{tag}$")) == 2)  # the two sleeps themselves, not the shells naming them
    records = list((remote_base() / "pids").iterdir())
    assert len(records) == 1
    pgid = int(records[0].name)
    tr._client.get_transport().sock.close()  # the link dies: no kill can be sent
    _, error = join()
    assert isinstance(error, DeviceError)
    try:
        shutil.rmtree(run_dir)  # deleted on the device (by hand, or a close() that got that far)
        if leader == "killed":
            os.kill(pgid, 9)
            wait_for(lambda: is_dead(pgid))
        else:
            # the session shell, once sshd's session process is gone
            wait_for(lambda: _stat(pgid)[1] == server.orphans_parent)
        left = _group(pgid)
        assert len(left) == (3 if leader == "killed" else 4)  # sh -c, both sleeps (and the session shell)
        assert all(os.readlink(f"/proc/{p}/cwd").endswith(" (deleted)") for p in left)
        assert any(_stat(p)[1] == server.orphans_parent for p in left)  # orphaned (PPID 1 on a board)
        time.sleep(1.0)
        assert [p for p in left if not is_dead(p)] == left  # nothing stopped them
        with SshTransport(settings(server)) as tr2:  # the connect sent SIGKILL; death is the kernel's, async
            wait_for(lambda: [p for p in left if not is_dead(p)] == [] and _sleepers(tag) == [], timeout=10)
            assert list((remote_base() / "pids").iterdir()) == [] and tr2.run(["true"]).ok
    finally:
        for p in _group(pgid):
            os.kill(p, 9)
        kill_orphans()
