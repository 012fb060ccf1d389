"""Hostile names through the SSH, adb and emulator transports: file names, model paths, device names (quoted
keys in a hand-written devices.toml: refused in one line, since device names are restricted to letters, digits,
'-' and '_'), remote directories and local output paths holding spaces, quotes, `;`,
`&&`, `$()`, backticks, `|`, newlines, rich markup and leading dashes.

Names carry commands that would create a canary: ``touch CANARY`` (relative: it would land in whatever directory
a shell ran in, so every tree involved is searched for a file named exactly CANARY) and ``touch /tmp/...``
(absolute, world-writable, so the device user could create it too). The tests prove no canary appears and
that every file arrives byte for byte (sha256), under exactly the name given. A remote directory that cannot
be supported safely (a newline; for adb also a relative path) is refused with one line and exit code 2.

The devices are a real OpenSSH sshd on 127.0.0.1 whose python3 is the arm64 image's interpreter under
qemu-user, the loopback adb peer driven by the real adb client (adb_peer.py; not Android), and the qemu-user
emulator transport. What is not proven: other remote shells than the host's /bin/sh (dash), e.g. Android's mksh.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

from runtime_tests.adb_peer import AdbPeer
from runtime_tests.sshd import SshServer, arm_image_root, free_port, python_shim, start_server
from toolkit.errors import BadInputError
from toolkit.transports.base import Transport, sha256_file

pytestmark = pytest.mark.device
USER = "edgetk-names"
FILE_NAMES = [
    "with space.tflite",
    "it's a \"quoted\".tflite",
    "semi; touch CANARY",
    "and && touch CANARY",
    "$(touch CANARY).tflite",
    "`touch CANARY`.tflite",
    "new\ntouch CANARY",
    "| tee CANARY",
    "[bold]markup[red].tflite",
    "-rf",
    "--help",
]
LOCAL_DIR = "out; touch CANARY && $(touch CANARY) `touch CANARY` 'q\"\n[bold]-x"  # a local folder for outputs


@pytest.fixture
def canary() -> Path:
    """An absolute canary path that the device users (not only root) could create."""
    folder = Path(tempfile.mkdtemp(prefix="edgetk-canary-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder / "canary"
    shutil.rmtree(folder)


def hostile_dir(canary: Path) -> str:
    """A directory path (it contains '/') whose every component is hostile; the last one starts with a dash."""
    c = canary
    return f"sp ace 'q\" ; touch {c} && touch {c} $(touch {c}) `touch {c}` | tee {c}/-dash"


def device_name(canary: Path) -> str:
    return f"-pi; touch {canary} && $(touch {canary}) `touch {canary}` 'q\"\n[/]x"


#: device names are restricted to letters, digits, '-' and '_' (issue 17): the hostile name is refused before
#: anything runs, and the hostile model path and remote dir go through under a safe name
SAFE_NAME = "pi-1_b"


def refuse_hostile_device_name(run_cli, tmp_path: Path, canary: Path, fields: dict[str, object],
                               model: Path) -> None:
    inv = write_inventory(tmp_path / "hostile-devices.toml", device_name(canary), fields)
    res = run_cli("deploy", model, "--device", device_name(canary), "--inventory", inv, cwd=tmp_path)
    refused_in_one_line(res, "device names may only contain letters, digits, '-' and '_'")
    assert "\x1b" not in res.stderr and "\n" not in res.stderr.strip()
    assert_no_canary(canary, tmp_path)


def assert_no_canary(canary: Path, *trees: Path) -> None:
    assert not canary.exists()
    for tree in trees:
        assert not [p for p in tree.rglob("CANARY")], f"a command in a name ran under {tree}"


def check_files_round_trip(tr: Transport, src: Path, out: Path, sha256_argv: list[str]) -> list[str]:
    """put every FILE_NAME, check the device sees the same bytes and the same name, get it back; the remote
    paths. ``sha256_argv`` hashes the files named after it on the device and prints one JSON list."""
    digest = sha256_file(src)
    remotes = [tr.put(src, name) for name in FILE_NAMES]
    assert [PurePosixPath(r).name for r in remotes] == FILE_NAMES
    res = tr.run([*sha256_argv, *remotes])
    assert res.ok, res.stderr
    assert json.loads(res.stdout) == [[r, digest] for r in remotes]  # argv arrived intact, bytes too
    out.mkdir()
    for i, remote in enumerate(remotes):
        back = out / f"{i}{FILE_NAMES[i]}"
        tr.get(remote, back)
        assert sha256_file(back) == digest
    return remotes


HASH_ARGS = "import hashlib,json,sys; print(json.dumps([[p, hashlib.sha256(open(p,'rb').read()).hexdigest()] for p in sys.argv[1:]]))"  # noqa: E501


def write_inventory(path: Path, name: str, fields: dict[str, object]) -> Path:
    """A hand-written devices.toml whose table key is the (hostile) device name, as a TOML quoted key."""
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in fields.items())
    path.write_text(f"[devices.{json.dumps(name)}]\n{body}\n")
    return path


@pytest.fixture(scope="module")
def tiny_model() -> bytes:
    from toolkit.model.builder import build_single_op_model

    return build_single_op_model("RELU")


def hostile_model(tmp_path: Path, data: bytes) -> Path:
    folder = tmp_path / "m; touch CANARY && $(touch CANARY) `touch CANARY` 'q\"\n[bold]"
    folder.mkdir()
    model = folder / "-model `touch CANARY`.tflite"
    model.write_bytes(data)
    return model


def cli_deploy_and_bench(run_cli, tmp_path: Path, model: Path, name: str, inv: Path, target: str) -> dict:
    """`deploy` and `bench --db <hostile path>` through the CLI; returns the bench JSON document."""
    deploy = run_cli("deploy", model, "--device", name, "--inventory", inv, "--json", cwd=tmp_path)
    assert deploy.returncode == 0, deploy.stderr
    doc = json.loads(deploy.stdout)
    assert doc["device"] == name
    assert Path(doc["files"][0]["remote_path"]).read_bytes() == model.read_bytes()
    db = tmp_path / LOCAL_DIR / "results.sqlite"
    db.parent.mkdir(exist_ok=True)
    bench = run_cli("bench", model, "--device", name, "--target", target, "--inventory", inv, "--runs", "2",
                    "--warmup", "0", "--json", "--db", db, cwd=tmp_path)
    assert bench.returncode == 0, bench.stderr
    doc = json.loads(bench.stdout)
    assert (doc["device"], doc["model"]["path"], doc["model"]["sha256"]) == (name, str(model), sha256_file(model))
    assert doc["runner"]["latency_ms"]["runs"] == 2 and doc["runner"]["device"]["arch"] == "aarch64"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT model_path FROM results").fetchall() == [(str(model),)]
    return doc


def bench_keeping_outputs(tmp_path: Path, model: Path, name: str, inv: Path, target: str) -> None:
    """The runner's outputs .npz fetched back (Transport.get of a run-relative path) to a hostile local path."""
    from toolkit.bench import BenchOptions, bench_model
    from toolkit.devices import transport_for_device
    from toolkit.targets import load_registry

    keep = tmp_path / LOCAL_DIR / "-outputs `touch CANARY`.npz"
    keep.parent.mkdir(exist_ok=True)
    tr = transport_for_device(name, inventory=inv)
    result = bench_model(model, load_registry().get(target), options=BenchOptions(runs=1, warmup=0,
                         keep_outputs=keep), transport=tr)  # fmt: skip
    assert result.latency_ms["runs"] == 1
    with np.load(keep) as npz:
        assert any(a.size for a in npz.values())


def refused_in_one_line(res: subprocess.CompletedProcess[str], what: str) -> None:
    assert res.returncode == 2 and res.stderr.startswith("error: ") and what in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


# ---- SSH -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = start_server(tmp_path_factory.mktemp("sshd-names"), [USER], arm_image=arm_image_root())
    yield srv
    srv.stop()


def ssh_fields(server: SshServer, remote_dir: str) -> dict[str, object]:
    return {"target": "rpi4-arm64", "transport": "ssh", "host": "127.0.0.1", "port": server.port, "user": USER,
            "identity_file": str(server.client_key), "known_hosts": str(server.known_hosts),
            "remote_dir": remote_dir}  # fmt: skip


HOME = Path("/home") / USER


@pytest.mark.parametrize("kind", ["hostile", "leading-dash"])
def test_ssh_hostile_file_names_in_a_hostile_remote_dir(server: SshServer, tmp_path: Path, canary: Path,
                                                        kind: str) -> None:
    from toolkit.transports.ssh import SshSettings, SshTransport

    remote_dir = f"~/.cache/{hostile_dir(canary)}" if kind == "hostile" else "-rf x"
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(20_000))
    settings = SshSettings(**{k: v for k, v in ssh_fields(server, remote_dir).items() if k not in ("target", "transport",
                           "identity_file")}, identity_file=str(server.client_key), label="-pi; `x`")  # fmt: skip
    with SshTransport(settings) as tr:
        base = HOME / remote_dir.removeprefix("~/")
        assert Path(tr.base) == base and Path(tr.run_dir).parent == base / "runs"
        check_files_round_trip(tr, src, tmp_path / LOCAL_DIR, ["python3", "-c", HASH_ARGS])
        assert sorted(os.listdir(tr.run_dir)) == sorted([*FILE_NAMES, ".owner"])
        assert_no_canary(canary, HOME, tmp_path)
        run_dir = Path(tr.run_dir)
    assert not run_dir.exists()
    assert (base / "blobs" / sha256_file(src)).read_bytes() == src.read_bytes()


def test_ssh_remote_dir_with_a_newline_is_refused(server: SshServer, tmp_path: Path, run_cli,
                                                  tiny_model: bytes) -> None:
    from toolkit.transports.ssh import SshSettings, SshTransport

    for bad in ("~/.cache/a\nb", "~/tab\there", ""):
        with pytest.raises(BadInputError, match="remote_dir .* must be a non-empty path without control") as err:
            SshTransport(SshSettings(host="127.0.0.1", remote_dir=bad, label="pi"))
        assert "\n" not in str(err.value)
    inv = write_inventory(tmp_path / "devices.toml", "pi", ssh_fields(server, "~/.cache/a\n; touch CANARY"))
    model = tmp_path / "m.tflite"
    model.write_bytes(tiny_model)
    refused_in_one_line(run_cli("deploy", model, "--device", "pi", "--inventory", inv, cwd=tmp_path), "remote_dir")
    assert not (HOME / ".cache" / "a\n; touch CANARY").exists()
    assert_no_canary(tmp_path / "no-canary", HOME, tmp_path)


def test_ssh_cli_and_outputs_with_hostile_device_name_model_path_and_remote_dir(
    server: SshServer, tmp_path: Path, canary: Path, run_cli, tiny_model: bytes
) -> None:
    fields = ssh_fields(server, f"~/.cache/{hostile_dir(canary)}")
    model = hostile_model(tmp_path, tiny_model)
    refuse_hostile_device_name(run_cli, tmp_path, canary, fields, model)
    name = SAFE_NAME
    inv = write_inventory(tmp_path / "devices.toml", name, fields)
    cli_deploy_and_bench(run_cli, tmp_path, model, name, inv, "rpi4-arm64")
    bench_keeping_outputs(tmp_path, model, name, inv, "rpi4-arm64")
    assert_no_canary(canary, HOME, tmp_path)


# ---- adb -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory):
    image = arm_image_root()
    work = tmp_path_factory.mktemp("adbnames")
    python_shim(work / "bin", image, "root")
    dev = AdbPeer(free_port(), env={"PATH": f"{work / 'bin'}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, cwd=str(work))
    dev.serial, dev.work = f"127.0.0.1:{dev.port}", work
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))  # a private adb server
        res = subprocess.run(["adb", "connect", dev.serial], capture_output=True, text=True, timeout=60)
        assert "connected to" in res.stdout, res.stdout + res.stderr
        yield dev
        subprocess.run(["adb", "disconnect", dev.serial], capture_output=True, timeout=60)
        subprocess.run(["adb", "kill-server"], capture_output=True, timeout=60)
    dev.close()


def test_adb_hostile_file_names_in_a_hostile_remote_dir(peer: AdbPeer, tmp_path: Path, canary: Path) -> None:
    from toolkit.transports.adb import AdbTransport

    base = peer.work / hostile_dir(canary)
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(20_000))
    with AdbTransport(peer.serial, remote_dir=str(base), label="-phone; `x`") as tr:
        assert Path(tr.run_dir).parent == base / "runs"
        check_files_round_trip(tr, src, tmp_path / LOCAL_DIR, ["/usr/bin/python3", "-c", HASH_ARGS])
        assert sorted(os.listdir(tr.run_dir)) == sorted([*FILE_NAMES, ".owner"])
        assert_no_canary(canary, peer.work, tmp_path)
        run_dir = Path(tr.run_dir)
    assert not run_dir.exists()
    assert (base / "blobs" / sha256_file(src)).read_bytes() == src.read_bytes()


def test_adb_newline_or_relative_remote_dir_is_refused(peer: AdbPeer, tmp_path: Path, run_cli,
                                                       tiny_model: bytes) -> None:
    from toolkit.transports.adb import AdbTransport

    for bad, why in (("/data/a\nb", "without control characters"), ("-rf", "must be an absolute path"),
                     ("edgetk; touch CANARY", "must be an absolute path")):  # fmt: skip
        with pytest.raises(BadInputError, match=why) as err:
            AdbTransport(peer.serial, remote_dir=bad)
        assert "\n" not in str(err.value)
    fields = {"target": "android-arm64", "transport": "adb", "serial": peer.serial,
              "remote_dir": f"{peer.work}/a\n; touch CANARY"}  # fmt: skip
    inv = write_inventory(tmp_path / "devices.toml", "phone", fields)
    model = tmp_path / "m.tflite"
    model.write_bytes(tiny_model)
    refused_in_one_line(run_cli("deploy", model, "--device", "phone", "--inventory", inv, cwd=tmp_path),
                        "remote_dir")
    assert not (peer.work / "a\n; touch CANARY").exists()
    assert_no_canary(tmp_path / "no-canary", peer.work, tmp_path)


def test_adb_cli_and_outputs_with_hostile_device_name_model_path_and_remote_dir(
    peer: AdbPeer, tmp_path: Path, canary: Path, run_cli, tiny_model: bytes
) -> None:
    fields = {"target": "android-arm64", "transport": "adb", "serial": peer.serial,
              "remote_dir": str(peer.work / hostile_dir(canary))}  # fmt: skip
    model = hostile_model(tmp_path, tiny_model)
    refuse_hostile_device_name(run_cli, tmp_path, canary, fields, model)
    name = SAFE_NAME
    inv = write_inventory(tmp_path / "devices.toml", name, fields)
    cli_deploy_and_bench(run_cli, tmp_path, model, name, inv, "android-arm64")
    bench_keeping_outputs(tmp_path, model, name, inv, "android-arm64")
    assert_no_canary(canary, peer.work, tmp_path)


# ---- emulator (qemu-user: argv lists, no shell anywhere) --------------------------------------------------
def test_emulator_hostile_file_names(tmp_path: Path, canary: Path) -> None:
    from toolkit.emulator.specs import GUEST_PYTHON
    from toolkit.transports.emulator import EmulatorTransport

    arm_image_root()  # skips when the image cannot be built here
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(20_000))
    with EmulatorTransport("debian12-arm64") as tr:
        check_files_round_trip(tr, src, tmp_path / LOCAL_DIR, [GUEST_PYTHON, "-c", HASH_ARGS])
        work = Path(tr.work_dir)
        assert sorted(os.listdir(work)) == sorted(FILE_NAMES)
        assert_no_canary(canary, work, tmp_path)
    assert not work.exists()


def test_emulator_device_with_hostile_name_benches_a_hostile_model_path(
    tmp_path: Path, canary: Path, run_cli, tiny_model: bytes
) -> None:
    arm_image_root()
    fields = {"target": "rpi4-arm64", "transport": "emulator"}
    model = hostile_model(tmp_path, tiny_model)
    refuse_hostile_device_name(run_cli, tmp_path, canary, fields, model)
    name = SAFE_NAME
    inv = write_inventory(tmp_path / "devices.toml", name, fields)
    db = tmp_path / LOCAL_DIR / "-results `touch CANARY`.sqlite"
    db.parent.mkdir()
    res = run_cli("bench", model, "--device", name, "--target", "rpi4-arm64", "--inventory", inv, "--runs", "2",
                  "--warmup", "0", "--json", "--db", db, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert (doc["device"], doc["transport"], doc["model"]["path"]) == (name, "emulator", str(model))
    assert doc["runner"]["device"]["arch"] == "aarch64" and doc["runner"]["latency_ms"]["runs"] == 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT model_path FROM results").fetchall() == [(str(model),)]
    assert_no_canary(canary, tmp_path)
