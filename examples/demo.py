"""`make demo`: the main job end to end on the embedded default model.

convert (Keras LSTM, dynamic batch) → check against every shipped target → bench locally, on the
emulated Raspberry Pi and on the TFLite Micro host interpreter → one HTML report. Each step is the
`edgetk` command a user would type; the script prints it before running it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EDGETK = [sys.executable, "-m", "toolkit.cli"]


def step(title: str, args: list[str], *, json_to: Path | None = None, ok_codes: tuple[int, ...] = (0,)) -> int:
    """Run one edgetk command as a user would; with json_to, add --json and keep the document in that file."""
    if json_to is not None:
        args = [*args, "--json"]
    shown = f"edgetk {shlex.join(args)}" + (f" > {json_to.name}" if json_to else "")
    print(f"\n== {title}\n$ {shown}", flush=True)
    stdout = open(json_to, "w") if json_to else None  # noqa: SIM115 - closed right below
    try:
        code = subprocess.run([*EDGETK, *args], cwd=HERE.parent, stdout=stdout).returncode
    finally:
        if stdout:
            stdout.close()
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
    step("check", ["check", str(model), "--all-targets", "--junit", str(out / "check.junit.xml")],
         json_to=out / "check.json", ok_codes=(0, 1))
    benches = [("host-x86_64", "bench-host.json"), ("rpi4-arm64", "bench-rpi4.json"), ("cortex-m4", "bench-m4.json")]
    for target, name in benches:
        step(f"bench on {target}", ["bench", str(model), "--target", target, "--runs", "20",
                                    "--db", str(out / "results.sqlite")], json_to=out / name)
    reports = [str(out / n) for n in ["convert.json", "check.json", *[b[1] for b in benches]]]
    step("report", ["report", *reports, "--html", str(out / "report.html")])
    summarize(out, [b[1] for b in benches])
    print(f"\ndemo: report written to {out / 'report.html'}")


def summarize(out: Path, bench_files: list[str]) -> None:
    """One line per target: check verdict, and the headline latency with its provenance where it was benchmarked."""
    check = json.loads((out / "check.json").read_text())
    latency: dict[str, str] = {}
    for name in bench_files:
        doc = json.loads((out / name).read_text())
        head = doc["headline"]  # THE latency of the target, with where it came from (the MCU estimate for MCUs)
        text = f"p50 {head['p50_ms']:.3f} ms ({head['timing']})"
        if head["source"] != "runner":  # e.g. the estimate's TFLM run on this host: relative only
            text += f"; runner {doc['runner']['latency_ms']['p50']:.3f} ms ({doc['timing']})"
        latency[doc["target"]] = text
    print("\n== summary")
    for line in summary_lines(check, latency):
        print(line)


def summary_lines(check: dict, latency: dict[str, str], width: int = 80) -> list[str]:
    """A target per line: its verdict with where it came from (check's op tables predict it, --verify's runs
    verify it, and a "runs" the demo's own bench then ran says so) and its headline latency, on the next line
    when both do not fit in ``width`` columns."""
    lines = []
    for result in check["results"]:
        how = "verified" if result.get("evidence") == "verified" else "predicted"
        if result["verdict"] == "runs" and result["target"] in latency:
            how = "the bench ran it"
        line = f"  {result['target']:<16} {result['verdict'] + f' ({how})':<30}"
        figure = latency.get(result["target"])
        if figure and len(line) + 1 + len(figure) <= width:
            line += " " + figure
        elif figure:
            lines.append(line.rstrip())
            line = " " * 4 + figure
        lines.append(line.rstrip())
    return lines


if __name__ == "__main__":
    main()
