"""Hostile file and device names through the CLI and the local / TFLM transports.

Each name embeds a command that would create the canary file (``$CANARY`` is an absolute path in the
environment of every process involved); the test proves the canary never appears and that the files, with
those exact names, arrive byte-for-byte.
"""

from __future__ import annotations

import json
import os
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.transports.base import sha256_file
from toolkit.transports.local import LocalTransport

HOSTILE = [
    "with space.tflite",
    "it's a \"quoted\" model.tflite",
    "semi; touch $CANARY.tflite",
    "and && touch $CANARY.tflite",
    "$(touch $CANARY).tflite",
    "`touch $CANARY`.tflite",
    "new\nline.tflite",
    "-leading-dash.tflite",
    "--json.tflite",
    "| tee $CANARY.tflite",
]
IDS = ["space", "quotes", "semicolon", "and-and", "dollar-paren", "backticks", "newline", "dash", "double-dash", "pipe"]


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "canary"
    monkeypatch.setenv("CANARY", str(path))
    return path


@pytest.mark.parametrize("name", HOSTILE, ids=IDS)
def test_hostile_model_and_output_paths_through_inspect_check_bench(
    tmp_path: Path, canary: Path, run_cli, seeds, name: str
) -> None:
    folder = tmp_path / name.replace(".tflite", " dir")  # the directory is hostile too
    folder.mkdir()
    model = folder / name
    model.write_bytes(seeds["tf-conv"])
    junit, db = folder / f"{name}.xml", folder / f"{name}.sqlite"
    arg = str(model)  # an absolute path: a leading dash in the file name cannot become an option

    inspect = run_cli("inspect", arg, "--json", cwd=tmp_path)
    assert inspect.returncode == 0, inspect.stderr
    assert json.loads(inspect.stdout)["path"] == arg

    check = run_cli("check", arg, "--target", "host-x86_64", "--junit", str(junit), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert ET.parse(junit).getroot().find(".//testcase") is not None

    bench = run_cli("bench", arg, "--target", "host-x86_64", "--runs", "2", "--warmup", "0", "--json",
                    "--db", str(db), cwd=tmp_path)  # fmt: skip
    assert bench.returncode == 0, bench.stderr
    doc = json.loads(bench.stdout)
    assert doc["model"]["path"] == arg and doc["model"]["sha256"] == sha256_file(model)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT model_path FROM results").fetchall() == [(arg,)]
    assert not canary.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([name, junit.name, db.name, f"{db.name}-wal",
                                                               f"{db.name}-shm"])  # fmt: skip


def test_leading_dash_relative_paths_need_the_double_dash(tmp_path: Path, canary: Path, run_cli, seeds) -> None:
    (tmp_path / "-m.tflite").write_bytes(seeds["tf-conv"])
    as_option = run_cli("inspect", "-m.tflite", cwd=tmp_path)
    assert as_option.returncode == 2 and "No such option" in as_option.stderr
    after_dashes = run_cli("inspect", "--json", "--", "-m.tflite", cwd=tmp_path)
    assert after_dashes.returncode == 0 and json.loads(after_dashes.stdout)["path"] == "-m.tflite"
    tflm = run_cli("bench", "--target", "cortex-m4", "--runs", "1", "--no-store", "--", "-m.tflite", cwd=tmp_path)
    assert tflm.returncode == 0, tflm.stderr
    assert not canary.exists()


@pytest.mark.parametrize("transport_cls", ["local", "tflm"])
def test_transport_put_run_get_with_hostile_names(tmp_path: Path, canary: Path, transport_cls: str) -> None:
    from toolkit.transports.tflm import TflmTransport

    cls = LocalTransport if transport_cls == "local" else TflmTransport
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(4096))
    with cls(root=tmp_path / "root") as tr:
        for name in HOSTILE:
            remote = tr.put(src, name)
            assert Path(remote).name == name
            res = tr.run(["sha256sum", "--", remote])
            assert res.ok and res.stdout.split()[0].lstrip("\\") == sha256_file(src)  # sha256sum escapes \n names
            echoed = tr.run(["printf", "%s", name])
            assert echoed.stdout == name
            back = tmp_path / f"back-{IDS[HOSTILE.index(name)]}"
            tr.get(name, back)
            assert back.read_bytes() == src.read_bytes()
        listing = sorted(p.name for p in Path(tr.workdir).iterdir())
    assert listing == sorted(HOSTILE)
    assert not canary.exists()


@pytest.mark.parametrize("device", ["pi; touch $CANARY", "$(touch $CANARY)", "`touch $CANARY`", "-rf", "a\nb"])
def test_hostile_device_names_are_refused_not_run(tmp_path: Path, canary: Path, run_cli, seeds, device: str) -> None:
    inventory = tmp_path / "devices.toml"
    add = run_cli("devices", "add", device, "--target", "host-x86_64", "--transport", "local",
                  "--inventory", str(inventory))  # fmt: skip
    assert add.returncode == 2 and "Traceback" not in add.stderr
    if device.startswith("-"):  # parsed as an option: click's usage error, before any edgetk code runs
        assert "No such option" in add.stderr
    else:
        assert add.stderr.startswith("error: device name") and len(add.stderr.strip().splitlines()) == 1
    assert not inventory.exists()
    inventory.write_text('[devices.pi]\ntarget = "host-x86_64"\ntransport = "local"\n')
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    bench = run_cli("bench", str(model), "--target", "host-x86_64", "--device", device, "--inventory",
                    str(inventory), "--no-store")  # fmt: skip
    assert bench.returncode == 2 and "unknown device" in bench.stderr
    assert not canary.exists()
