"""Control flow story: a decoder loop + cond → WHILE/IF builtins; an unsized TensorArray → a traced error.

    python examples/control_flow/run.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def edgetk(*args: str) -> subprocess.CompletedProcess[str]:
    print(f"$ edgetk {' '.join(args)}", flush=True)
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], cwd=HERE.parent.parent,
                          capture_output=True, text=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ok = edgetk("convert", f"{HERE / 'model.py'}:build", "-o", f"{tmp}/decoder.tflite", "--json")
        assert ok.returncode == 0, ok.stderr
        report = json.loads(ok.stdout)
        print(f"ops: {report['ops']}")
        assert {"WHILE", "IF"} <= set(report["ops"]) and report["builtin_only"]
        bad = edgetk("convert", f"{HERE / 'model.py'}:build_unsized", "-o", f"{tmp}/bad.tflite")
        print(bad.stderr)
        assert bad.returncode == 5
    print("story: OK")


if __name__ == "__main__":
    main()
