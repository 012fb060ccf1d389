"""The error story: a model using tf.math.igamma (no TFLite kernel) fails, and the error names YOUR line.

    python examples/error_trace/run.py

TF 2.21 reports this failure at its own outermost frame (tracing_compilation.py); edgetk puts
model.py's line first, then the TF node, the error code in words, and the fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def igamma_line() -> int:
    """The line of model.py that calls tf.math.igamma: where the error must point."""
    lines = (HERE / "model.py").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if "tf.math.igamma(" in text)


def main() -> None:
    source = f"{HERE / 'model.py'}:build"
    expected = f"examples/error_trace/model.py:{igamma_line()}"
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "toolkit.cli", "convert", source, "-o", f"{tmp}/m.tflite"]
        print(f"$ edgetk convert {source} -o m.tflite", flush=True)
        shown = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        print(shown.stderr.rstrip(), flush=True)
        print(f"\n$ edgetk convert {source} -o m.tflite --json", flush=True)
        data = subprocess.run([*argv, "--json"], cwd=REPO, capture_output=True, text=True)
    assert shown.returncode == 5 and data.returncode == 5, "expected a conversion failure (exit 5)"
    # What the user reads: the red line and the first location both name their own line, not TF's frames.
    red = [ln for ln in shown.stderr.splitlines() if ln.startswith("error:")][-1]
    assert red.endswith(f"at {expected}") and "tf.Igamma" in red, red
    first_at = next(ln.strip() for ln in shown.stderr.splitlines() if ln.strip().startswith("at "))
    assert first_at == f"at {expected}", first_at
    assert "ERROR_NEEDS_CUSTOM_OPS" in shown.stderr and "fix:" in shown.stderr
    err = json.loads(data.stdout)["errors"][0]
    frame = err["user_frame"]
    print(f"first frame reported: {Path(frame['file']).name}:{frame['line']}: {frame['source']}")
    assert Path(frame["file"]) == HERE / "model.py" and frame["line"] == igamma_line(), frame
    assert err["op"] == "tf.Igamma" and err["error_code"] == "ERROR_NEEDS_CUSTOM_OPS", err
    print("story: OK")


if __name__ == "__main__":
    main()
