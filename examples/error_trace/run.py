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


def main() -> None:
    source = f"{HERE / 'model.py'}:build"
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "toolkit.cli", "convert", source, "-o", f"{tmp}/m.tflite"]
        print(f"$ edgetk convert {source} -o m.tflite", flush=True)
        shown = subprocess.run(argv, cwd=HERE.parent.parent)
        data = subprocess.run([*argv, "--json"], cwd=HERE.parent.parent, capture_output=True, text=True)
    assert shown.returncode == 5 and data.returncode == 5, "expected a conversion failure (exit 5)"
    frame = json.loads(data.stdout)["errors"][0]["user_frame"]
    print(f"\nfirst frame reported: {Path(frame['file']).name}:{frame['line']}: {frame['source']}")
    assert Path(frame["file"]) == HERE / "model.py" and "igamma" in frame["source"]
    print("story: OK")


if __name__ == "__main__":
    main()
