"""Outputs that would silently be wrong (lost weights) and errors in the user's code are refused clearly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.convert.postcheck import refuse_unsafe_ops
from toolkit.errors import ConversionError
from toolkit.paths import cache_dir

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_model_that_lost_its_weights_is_refused() -> None:
    bad = cache_dir() / "test-models" / "weight_loss.tflite"
    if not bad.exists():
        bad.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "make_weight_loss.py"), str(bad)], check=True,
                       capture_output=True, timeout=300)
    with pytest.raises(ConversionError, match="weight loss") as info:
        refuse_unsafe_ops(bad)
    assert "READ_VARIABLE" in str(info.value) or "VAR_HANDLE" in str(info.value)
    summary = refuse_unsafe_ops(bad, allow_resource_variables=True)  # the explicit opt-in accepts it
    assert "VAR_HANDLE" in summary.counts


@pytest.mark.slow
def test_igamma_error_points_at_the_users_line_first(run_cli, tmp_path: Path) -> None:
    fixture = HERE / "fixture_igamma.py"
    line = next(i for i, text in enumerate(fixture.read_text().splitlines(), 1) if "return tf.math.igamma" in text)
    proc = run_cli("convert", f"{fixture}:build", "-o", tmp_path / "m.tflite", "--json")
    assert proc.returncode == 5, proc.stderr
    doc = json.loads(proc.stdout)
    first = doc["errors"][0]
    assert first["user_frame"]["file"] == str(fixture) and first["user_frame"]["line"] == line
    assert "tf.math.igamma" in first["user_frame"]["source"]
    assert first["op"] == "tf.Igamma" and first["error_code"] == "ERROR_NEEDS_CUSTOM_OPS"
    assert f"fixture_igamma.py:{line}" in proc.stderr  # the one red line names the user's line
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "m.tflite").exists()
