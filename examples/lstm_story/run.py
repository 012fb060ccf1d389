"""The LSTM story: one Keras 3 LSTM, converted to both lowerings, each checked against Keras.

    python examples/lstm_story/run.py [--out DIR]

1. `--rnn loop`: the WHILE-loop form TF 2.21 produces for Keras 3 (batch fixed to 1 first).
2. `--rnn fused`: the UNIDIRECTIONAL_SEQUENCE_LSTM op, rebuilt through Keras 2 layers with the same weights.
Both run in LiteRT and in TFLM (child processes) and must match Keras to ~1e-7.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = f"{HERE / 'model.py'}:build"


def convert(form: str, out: Path) -> dict:
    report = out / f"lstm_{form}.json"
    argv = [sys.executable, "-m", "toolkit.cli", "convert", SOURCE, "-o", str(out / f"lstm_{form}.tflite"),
            "--rnn", form, "--check-runtime", "litert", "--check-runtime", "tflm", "--report", str(report)]
    print(f"$ edgetk convert {SOURCE} --rnn {form} ...", flush=True)
    subprocess.run(argv, check=True, cwd=HERE.parent.parent)
    return json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("lstm-story-out"))
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    reports = {form: convert(form, out) for form in ("loop", "fused")}
    print("\nform   size     ops                                    worst error vs Keras")
    for form, rep in reports.items():
        worst = max(o["max_abs"] for c in rep["numerics"] for o in c["outputs"])
        print(f"{form:6} {rep['size_bytes']:7,}  {', '.join(rep['ops'])[:38]:38} {worst:.2e}")
        assert all(c["ok"] for c in rep["numerics"]), rep["numerics"]
        assert worst < 1e-5
    print("story: OK")


if __name__ == "__main__":
    main()
