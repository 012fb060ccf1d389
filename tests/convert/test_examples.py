"""The runnable stories in examples/ work end to end (each asserts its own outcome and prints "story: OK")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("script", ["lstm_story/run.py", "error_trace/run.py", "control_flow/run.py"])
def test_example_runs(script: str, tmp_path: Path) -> None:
    argv = [sys.executable, str(REPO / "examples" / script)]
    if script.startswith("lstm_story"):
        argv += ["--out", str(tmp_path)]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "story: OK" in proc.stdout
