"""Static validity rules: models no runtime loads are does-not-run with the reason, whatever the op tables
say — and a real LiteRT interpreter (in a child process) refuses each of them too, so the rule is true."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.model import load_model
from toolkit.model.builder import ModelBuilder, build_single_op_model
from toolkit.targets import check_model


def _unknown_op() -> bytes:
    b = ModelBuilder(description="edgetk unknown builtin")
    x, y = b.add_tensor([1, 4], name="x"), b.add_tensor([1, 4], name="y")
    b.add_op(3000, [x], [y])
    b.set_io([x], [y])
    return b.build()


CASES = {  # name: (model bytes, rule, text in the message)
    "unknown-builtin-3000": (_unknown_op, "unknown_builtin_code", "builtin operator code 3000"),
    "negative-dimension": (lambda: build_single_op_model("ABS", shapes=[[1, -4]]), "negative_dimension", "[1, -4]"),
    "16G-elements": (lambda: build_single_op_model("ABS", shapes=[[65536, 65536, 4]]), "tensor_too_large",
                     "17,179,869,184 elements"),
}  # fmt: skip

LITERT = """
import sys
from ai_edge_litert.interpreter import Interpreter
i = Interpreter(model_path=sys.argv[1]); i.allocate_tensors(); i.invoke(); print("ran")
"""


@pytest.mark.parametrize("name", CASES)
def test_invalid_model_does_not_run_and_litert_agrees(tmp_path: Path, name: str) -> None:
    build, rule, text = CASES[name]
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(build())
    with load_model(path) as model:
        report = check_model(model, ["host-x86_64", "cortex-m4"])
    for verdict in report.results:
        assert verdict.verdict == "does-not-run", (verdict.target, verdict.findings)
        ours = [f for f in verdict.findings if f.rule == rule]
        assert ours and text in ours[0].message and ours[0].severity == "error"
    proc = subprocess.run([sys.executable, "-c", LITERT, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "ran" not in proc.stdout  # the real runtime refuses it as well


def test_valid_high_rank_model_is_not_refused(tmp_path: Path) -> None:
    """LiteRT allocates and invokes ABS on a rank-100 tensor (measured, with its own zero input: numpy 1.26 holds
    at most 32 dimensions, so the Python runner cannot feed it), so rank alone is not a reason: no validity
    rule fires. Per-op rank limits are probed constraints (tests/targets/test_rank_limits.py)."""
    path = tmp_path / "rank100.tflite"
    path.write_bytes(build_single_op_model("ABS", shapes=[[1] * 100]))
    with load_model(path) as model:
        report = check_model(model, ["host-x86_64"])
    rules = {f.rule for f in report.results[0].findings}
    assert not rules & {"unknown_builtin_code", "negative_dimension", "tensor_too_large"}
