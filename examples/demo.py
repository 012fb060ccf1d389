"""`make demo`: the main job end to end on the embedded default model.

convert (Keras LSTM, dynamic batch) → check against every shipped target → bench locally, on the
emulated Raspberry Pi and on the TFLite Micro host interpreter → one HTML report. Each step is the
`edgetk` command a user would type; the script prints it before running it.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EDGETK = [sys.executable, "-m", "toolkit.cli"]


def step(title: str, args: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> int:
    print(f"\n== {title}\n$ edgetk {shlex.join(args)}", flush=True)
    code = subprocess.run([*EDGETK, *args], cwd=HERE.parent).returncode
    if code not in ok_codes:
        sys.exit(f"demo: step '{title}' failed with exit code {code}")
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    model = out / "demo_lstm.tflite"
    source = f"{HERE / 'demo_model.py'}:build"

    step("convert", ["convert", source, "-o", str(model), "--rnn", "fused", "--report", str(out / "convert.json")])
    step("inspect", ["inspect", str(model)])
    # exit 1 = some target cannot run the model: a finding for the report, not a demo failure
    step("check", ["check", str(model), "--all-targets", "--json-out", str(out / "check.json"),
                   "--junit", str(out / "check.junit.xml")], ok_codes=(0, 1))
    benches = [("host-x86_64", "bench-host.json"), ("rpi4-arm64", "bench-rpi4.json"), ("cortex-m4", "bench-m4.json")]
    for target, name in benches:
        step(f"bench on {target}", ["bench", str(model), "--target", target, "--runs", "20",
                                    "--json-out", str(out / name)])
    reports = [str(out / n) for n in ["convert.json", "check.json", *[b[1] for b in benches]]]
    step("report", ["report", *reports, "--html", str(out / "report.html")])
    print(f"\ndemo: report written to {out / 'report.html'}")


if __name__ == "__main__":
    main()
