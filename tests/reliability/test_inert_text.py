"""Untrusted text is inert: escape sequences from devices, runtimes, descriptors and file names are shown,
never obeyed, and never make JUnit XML unparseable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

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
