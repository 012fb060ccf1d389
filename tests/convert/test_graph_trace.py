"""Converter errors with a TF node name but no source location are traced through the graph to the user's line.

TF's tensor-list lowering fails on a dynamic-size TensorArray with ``failed to legalize operation
'tf.Identity'`` at node ``while/Identity_N@while_body_M`` and no file:line. The worker looks that node up in
the traced function's library (the while body) and follows the tensor list back to the TensorArray call.
One real conversion (`edgetk convert` in a child process), cached in the shared cache by the fixture's and
edgetk's conversion code hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.convert import error_trace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURE = HERE / "fixture_dynamic_tensorarray.py"
SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache"))


def _line_of(needle: str) -> int:
    return next(i for i, text in enumerate(FIXTURE.read_text().splitlines(), 1) if needle in text)


@pytest.fixture(scope="session")
def dynamic_ta_failure(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """{"returncode", "doc" (convert --json), "stderr"} of converting the fixture; cached."""
    digest = hashlib.sha256(FIXTURE.read_bytes())
    for path in sorted((REPO / "toolkit" / "convert").glob("*.py")):
        digest.update(path.read_bytes())
    cached = Path(SHARED_CACHE) / "test-models" / f"dynamic-ta-error-{digest.hexdigest()[:16]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    tmp = tmp_path_factory.mktemp("dynamic-ta")
    env = {**os.environ, "EDGETK_HOME": str(tmp / "home"), "EDGETK_CACHE": SHARED_CACHE}
    proc = subprocess.run([sys.executable, "-m", "toolkit.cli", "convert", f"{FIXTURE}:build", "-o", str(tmp / "m.tflite"),
                           "--json"], capture_output=True, text=True, timeout=600, cwd=REPO, env=env)
    result = {"returncode": proc.returncode, "doc": json.loads(proc.stdout) if proc.stdout.strip() else None,
              "stderr": proc.stderr, "output_exists": (tmp / "m.tflite").exists()}
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result))
    return result


@pytest.mark.slow
def test_dynamic_tensorarray_error_names_the_tensorarray_line_first(dynamic_ta_failure: dict) -> None:
    assert dynamic_ta_failure["returncode"] == 5, dynamic_ta_failure["stderr"]
    assert not dynamic_ta_failure["output_exists"]
    first = dynamic_ta_failure["doc"]["errors"][0]
    assert first["op"] == "tf.Identity" and "@while_body" in first["node"]
    assert first["user_frame"]["file"] == str(FIXTURE)
    assert first["user_frame"]["line"] == _line_of("tf.TensorArray(")
    assert "dynamic_size=True" in first["user_frame"]["source"]
    assert f"fixture_dynamic_tensorarray.py:{_line_of('tf.while_loop(')}" in first["origin"]  # the loop's line
    assert "fixed size TensorArray" in first["fix"]
    red_line = dynamic_ta_failure["doc"]["error"]
    assert red_line.endswith(f"fixture_dynamic_tensorarray.py:{_line_of('tf.TensorArray(')}")
    assert "Traceback" not in dynamic_ta_failure["stderr"]


def test_node_frames_fill_an_error_without_location_and_it_comes_first(tmp_path: Path) -> None:
    """The parent side of the lookup, without TensorFlow: frames from the worker make the user's line first."""
    user = tmp_path / "model.py"
    user.write_text("import tensorflow as tf\nta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)\nloop()\n")
    site = "/venv/lib/python3.11/site-packages/tensorflow/python/ops/list_ops.py"
    errors = [
        {"error_message": "Lowering tensor list ops is failed. Please consider", "operator": {"name": "tf.Const"},
         "location": {"type": "UNKNOWNLOC"}},
        {"error_message": "failed to legalize operation 'tf.Identity' that was explicitly marked illegal",
         "operator": {"name": "tf.Identity"}, "location": {"type": "NAMELOC", "call": [{"name": "while/Identity_3@while_body_9"}]}},
    ]
    node_frames = {"while/Identity_3@while_body_9": {"frames": [[site, 77], [str(user), 2]], "tensor_list": True,
                                                    "node_frames": [[site, 310], [str(user), 3]]}}
    without = error_trace.trace_converter_error(errors, "", node_frames=None)
    assert all(t.user_frame is None for t in without) and without[0].op == "tf.Const"
    traced = error_trace.trace_converter_error(errors, "", node_frames=node_frames)
    assert [t.op for t in traced] == ["tf.Identity", "tf.Const"]
    first = traced[0]
    assert (first.user_frame.file, first.user_frame.line) == (str(user), 2)
    assert first.user_frame.source == "ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)"
    assert first.origin.endswith("model.py:3") and "while/Identity_3@while_body_9" in first.origin
    assert error_trace.one_line(first).endswith("model.py:2")
    block = error_trace.render(traced)
    assert block.index("model.py:2") < block.index("the tensor list that TF node") < block.index("TF node:")
