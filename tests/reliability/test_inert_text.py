"""Untrusted text is inert: escape sequences from devices, runtimes, descriptors and file names are shown,
never obeyed, and never make JUnit XML unparseable."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.text import inert, xml_safe

OSC_AND_CLEAR = "\x1b]0;owned\x07\x1b[2J"


def test_inert_escapes_controls_and_keeps_letters() -> None:
    assert inert(f"boom{OSC_AND_CLEAR}\nnext é") == "boom\\x1b]0;owned\\x07\\x1b[2J\\nnext é"
    assert inert("\u202eevil") == "\\u202eevil" and xml_safe("a\x01b\tc\nd") == "a\\x01b\tc\nd"


def test_error_line_from_a_device_never_reaches_the_terminal_raw(tmp_path: Path, run_cli) -> None:
    """An inventory value is one way device-side text reaches an error line: an unknown target name."""
    inventory = tmp_path / "devices.toml"
    inventory.write_text(f'[devices.pi]\ntarget = "x{OSC_AND_CLEAR}"\ntransport = "local"\n'.replace("\x1b", "\\u001b")
                         .replace("\x07", "\\u0007"))
    proc = run_cli("bench", str(tmp_path / "m.tflite"), "--device", "pi", "--inventory", str(inventory), "--no-store")
    assert proc.returncode == 2, proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "unknown target 'x\\x1b]0;owned\\x07\\x1b[2J'" in proc.stderr  # shown, escaped


def test_junit_for_a_file_name_with_control_characters_parses(tmp_path: Path, seeds, run_cli) -> None:
    model = tmp_path / "m\x01odel\x1b[2J.tflite"
    model.write_bytes(seeds["tf-conv"])
    junit = tmp_path / "check.xml"
    proc = run_cli("check", str(model), "-t", "host-x86_64", "--junit", str(junit))
    assert proc.returncode in (0, 1), proc.stderr
    text = junit.read_text()
    ET.fromstring(text.split("\n", 1)[1])  # parses
    assert "\x01" not in text and "\x1b" not in text and "\\x01" in text


# ---- every verb, with hostile text from every source at once (issue 17: "a .tflite's tensor names are
# attacker-controlled"): the model's producer, tensor names and custom op code, a descriptor's name/title/notes,
# an inventory's host/user, the model's file name (not UTF-8 either) and the device's own answers
EVIL = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\nFAKE-LINE\r\u202e[bold]"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # newline is the one allowed


def _hostile_model(path: Path, *, custom: bool) -> Path:
    from toolkit.model.builder import ModelBuilder

    b = ModelBuilder(description=f"producer{EVIL}")
    x, y, z = (b.add_tensor([1, 4], name=f"{n}{EVIL}") for n in ("in", "mid", "out"))
    b.add_op("RELU", [x], [y])
    b.add_op("CUSTOM" if custom else "TANH", [y], [z], custom_code=f"Op{EVIL}" if custom else None)
    b.set_io([x], [z])
    path.write_bytes(b.build())
    return path


def _toml(text: str) -> str:
    return json.dumps(text)  # a TOML basic string: JSON's escapes (\u001b, \n) are TOML's


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "evil.toml").write_text(f'name = "evil-target"\nextends = "host-x86_64"\ntitle = {_toml("T" + EVIL)}\n'
                                       f'notes = {_toml("N" + EVIL)}\n')
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(targets))
    inventory = tmp_path / "devices.toml"
    inventory.write_text('[devices.here]\ntarget = "evil-target"\ntransport = "local"\n\n'
                         f'[devices.far]\ntarget = "host-x86_64"\ntransport = "ssh"\nhost = {_toml("h" + EVIL)}\n'
                         f'user = {_toml("u" + EVIL)}\n')
    name = os.fsdecode(b"m\x1b]0;X\x07\nFAKE-LINE\x9b.tflite")  # a file name that is not UTF-8, too
    return {"custom": _hostile_model(tmp_path / "custom.tflite", custom=True),
            "plain": _hostile_model(tmp_path / name, custom=False), "inventory": inventory,
            "db": tmp_path / "r.sqlite", "check_json": tmp_path / "check.json", "dir": tmp_path}


def _verbs(h: dict[str, Path]) -> list[list[str]]:
    inv, db, plain, custom = str(h["inventory"]), str(h["db"]), str(h["plain"]), str(h["custom"])
    return [
        ["inspect", custom], ["inspect", plain, "--ops"], ["check", custom, "-t", "evil-target"],
        ["check", custom, "--all-targets", "--verbose"], ["check", custom, "-t", "evil-target", "--verify"],
        ["check", plain, "--device", "here", "--inventory", inv],
        ["bench", plain, "-t", "evil-target", "--db", db, "--runs", "3"],
        ["bench", plain, "-t", "cortex-m4", "--db", db, "--runs", "2"],
        ["bench", custom, "-t", "evil-target", "--no-store"],  # the runtime's own message about the custom op
        ["compare", custom, plain, "-t", "evil-target", "-t", "cortex-m4"],
        ["report", str(h["check_json"]), "--junit", str(h["dir"] / "r.xml"), "--html", str(h["dir"] / "r.html")],
        ["devices", "list", "--inventory", inv], ["devices", "check", "here", "--inventory", inv],
        ["results", "list", "--db", db], ["results", "trend", h["plain"].name, "-t", "evil-target", "--db", db],
        ["targets", "list"], ["targets", "show", "evil-target"],
    ]  # fmt: skip


def test_no_verb_lets_a_control_character_from_untrusted_text_reach_the_terminal(hostile, run_cli) -> None:
    proc = run_cli("check", hostile["custom"], "-t", "evil-target", "--json")
    hostile["check_json"].write_text(proc.stdout)
    shown = ""
    for argv in _verbs(hostile):
        proc = run_cli(*argv)
        text = proc.stdout + proc.stderr
        assert proc.returncode in (0, 1, 6), (argv, proc.stderr)  # 6: the custom op has no kernel
        assert "Traceback" not in text and "internal error" not in text, (argv, text)
        raw = sorted({hex(ord(c)) for c in RAW.findall(text)})
        assert not raw, (argv, raw, text)
        assert not [ln for ln in text.splitlines() if ln.lstrip().startswith("FAKE-LINE")], (argv, text)
        shown += text
    assert "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\nFAKE-LINE\\r\\u202e" in shown  # shown escaped, not dropped
    assert "[bold]" in shown  # shown as text, not read as markup
