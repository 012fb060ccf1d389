"""`edgetk inspect` as a user runs it: a real child process, real models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from toolkit.model import INSPECT_SCHEMA


def test_summary_names_producer_ops_and_macs(run_cli, conv_model: Path) -> None:
    proc = run_cli("inspect", conv_model)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "MLIR Converted." in out
    assert "CONV_2D x1" in out and "DEPTHWISE_CONV_2D x1" in out and "FULLY_CONNECTED x1" in out
    assert "8.93 KMACs" in out
    assert "serving_default" in out
    assert "[1,8,8,3]" in out


def test_json_is_the_versioned_document_with_cost(run_cli, lstm_model: Path) -> None:
    proc = run_cli("inspect", lstm_model, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == INSPECT_SCHEMA
    assert doc["producer"] == "MLIR Converted."
    assert doc["cost"]["total_macs"] == 5 * (3 * 16 + 4 * 16) + 4 * 2  # WHILE body x 5 steps
    assert doc["cost"]["has_loops"] is True and doc["cost"]["unknown_trip_counts"] is False
    assert doc["cost"]["provenance"] == "estimated"  # the terminal says "cost (estimated)"; the JSON said nothing
    assert {op["trip_count"] for op in doc["cost"]["ops"] if op["subgraph"] == 2} == {5}
    assert len(doc["cost"]["ops"]) == sum(len(sg["operators"]) for sg in doc["subgraphs"])


def test_ops_only_json_merges_each_op_with_its_cost(run_cli, conv_model: Path) -> None:
    proc = run_cli("inspect", conv_model, "--json", "--ops-only")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(op["name"], op["macs"]) for op in doc["ops"]] == [
        ("CONV_2D", 6912), ("DEPTHWISE_CONV_2D", 1296), ("RESHAPE", 0), ("FULLY_CONNECTED", 720),
    ]  # fmt: skip
    assert doc["ops"][0]["options"]["fused_activation_function"] == 1  # RELU fused into the conv


def test_malformed_model_exits_2_with_one_line(run_cli, conv_model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.tflite"
    bad.write_bytes(conv_model.read_bytes()[:100])
    proc = run_cli("inspect", bad)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a valid .tflite model" in lines[0] and "truncated.tflite" in lines[0]


def test_inspect_never_imports_tensorflow_or_an_interpreter(lstm_model: Path) -> None:
    script = (
        "import sys, contextlib, io\n"
        "from toolkit.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['inspect', {str(lstm_model)!r}])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'ai_edge_litert.interpreter', 'tflite_runtime') if m in sys.modules]\n"
        "print(rc, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0 []"
