"""`edgetk inspect` prints a one-screen summary by default and every op only behind --ops; its tables keep
every character at any width (aligned, then the long column under its row, then plain lines).

On MediaPipe's face detector (a third-party file from the pinned wheel) the old default printed 456 lines at
80 columns, and listed 18 KiB weights above 448 KiB activations.
"""

from __future__ import annotations

import json
import re

import pytest

from benchmarks.corpus import corpus_model
from toolkit.report.columns import table_lines

FACE = "mediapipe/face_detection_short_range.tflite"


def _inspect(run_cli, monkeypatch: pytest.MonkeyPatch, *extra: str, columns: int = 80) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    proc = run_cli("inspect", corpus_model(FACE), *extra)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(map(len, lines)) <= columns, proc.stdout
    return lines


def test_default_is_a_summary_with_histogram_io_cost_and_biggest_activations(run_cli, monkeypatch) -> None:
    lines = _inspect(run_cli, monkeypatch)
    text = "\n".join(lines)
    words = " ".join(text.split())
    assert len(lines) <= 45
    assert not any(re.match(r"\s+0:\d+\s", line) for line in lines)  # no op rows
    doc = json.loads(run_cli("inspect", corpus_model(FACE), "--json").stdout)
    assert f"ops ({sum(doc['op_counts'].values())}): DEQUANTIZE x{doc['op_counts']['DEQUANTIZE']}," in words
    assert "producer keras2tflite_facedetector-front.tflite.generated" in words
    assert "30.76 MMACs" in words and "MACs by op: CONV_2D" in words
    assert re.search(r"  in   input\s+0\s+float32\s+\[1,128,128,3\]", text)
    assert "signatures: none" in text  # MediaPipe's file has none
    # the arena's drivers come first: 448 KiB activations, before the 18 KiB weights
    acts, weights = lines.index("biggest activations (tensor arena):"), lines.index("biggest weights (flash):")
    assert acts < weights and "448.0 KiB  float32  [1,64,64,28]" in lines[acts + 2]
    assert lines[-1].startswith("every op (164), with shapes and cost: edgetk inspect") or "--ops" in lines[-1]


def test_ops_lists_every_operator(run_cli, monkeypatch) -> None:
    lines = _inspect(run_cli, monkeypatch, "--ops")
    rows = [line for line in lines if re.match(r"  0:\d+\s", line)]
    assert len(rows) == 164 and rows[2].split()[:4] == ["0:2", "CONV_2D", "v1", "float32"]
    assert "[1,128,128,3] -> [1,64,64,24]" in "\n".join(lines)  # shapes are never cut


def test_narrow_terminal_gets_plain_lines_not_cut_cells(run_cli, monkeypatch) -> None:
    lines = _inspect(run_cli, monkeypatch, "--ops-only", columns=40)
    text = " ".join(" ".join(lines).split())
    assert "sg:op: 0:2; op: CONV_2D v1; dtype: float32; MACs: 7.37 M;" in text
    assert "…" not in text and text.count("sg:op: ") == 164


def test_table_lines_aligned_then_long_column_below_then_plain() -> None:
    headers, rows = ["a", "bb", "long"], [["1", "22", "x" * 10], ["333", "4", "y"]]
    assert table_lines(headers, rows, 80) == ["a    bb  long", "1    22  xxxxxxxxxx", "333  4   y"]
    assert table_lines(headers, rows, 14) == ["a    bb  long", "1    22", "    xxxxxxxxxx", "333  4   y"]
    wide = table_lines(["name", "kind", "long"], [["abcdefghij", "klmnopqrst", "x" * 10]], 21)
    assert wide == ["name: abcdefghij;", "    kind: klmnopqrst;", "    long: xxxxxxxxxx"]
    assert table_lines(["n", "v"], [["1", "2"]], 80, right={0}, indent="  ") == ["  n  v", "  1  2"]
