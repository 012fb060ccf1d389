"""Regenerate docs/img/report.png and docs/img/compare.png: real runs on third-party models, headless Chromium.

    PYTHONPATH=. .venv/bin/python scripts/report_screenshots.py [--out docs/img] [--work DIR]

The report page: `check` of MediaPipe's face_detection_short_range and microWakeWord's okay_nabu on four
targets, `bench` of each where it runs (host: measured; emulated Pi 4: emulated; Cortex-M4: host-run TFLM
with the MCU estimate as headline), and a `convert --quantize int8` without calibration data (the random-
calibration warning). The compare page: an int8 conv net against its float version (MLPerf Tiny-style,
rebuilt from its published description), quantization-aware, benched on the host and a Cortex-M4.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def edgetk(*args: object, ok: tuple[int, ...] = (0, 1)) -> str:
    proc = subprocess.run([sys.executable, "-m", "toolkit.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=1800)
    if proc.returncode not in ok:
        raise SystemExit(f"edgetk {' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return proc.stdout


def shoot(page: Path, png: Path, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                        f"--window-size=1280,{height}", page.resolve().as_uri()], check=True, capture_output=True,
                       timeout=180)
    print(f"wrote {png}")


def report_docs(work: Path) -> list[Path]:
    sys.path.insert(0, str(REPO))
    from benchmarks.corpus import corpus_model
    from benchmarks.models import TOY_SOURCE

    face = corpus_model("mediapipe/face_detection_short_range.tflite")
    wake = corpus_model("pymicro_wakeword/okay_nabu.tflite")
    files = []
    for name, model in (("face", face), ("wake", wake)):
        out = work / f"check-{name}.json"
        out.write_text(edgetk("check", model, "-t", "host-x86_64", "-t", "rpi4-arm64", "-t", "cortex-m4", "-t",
                              "cortex-m7", "--json"))
        files.append(out)
    runs = {"host-x86_64": 50, "rpi4-arm64": 10, "cortex-m4": 20}
    for name, model, targets in (("face", face, ("host-x86_64", "rpi4-arm64")),
                                 ("wake", wake, ("host-x86_64", "cortex-m4"))):
        for target in targets:
            out = work / f"bench-{name}-{target}.json"
            out.write_text(edgetk("bench", model, "-t", target, "--runs", runs[target], "--json", "--no-store"))
            files.append(out)
    (work / "toy.py").write_text(TOY_SOURCE)
    report = work / "convert.json"
    edgetk("convert", f"{work / 'toy.py'}:net", "-o", work / "toy_int8.tflite", "--quantize", "int8",
           "--report", report, ok=(0,))
    return [*files, report]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="edgetk-shots-"))
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    page = work / "report.html"
    edgetk("report", *report_docs(work), "--html", page, "--title", "edgetk report: face detection + wake word",
           ok=(0,))
    shoot(page, args.out / "report.png", 2400)

    sys.path.insert(0, str(REPO))
    from benchmarks.mlperf_tiny_models import ensure_models

    models = ensure_models(["tiny-float", "tiny-int8"])
    cmp_page = work / "compare.html"
    edgetk("compare", models["tiny-int8"], models["tiny-float"], "-t", "host-x86_64", "-t", "cortex-m4", "--bench",
           "--rounds", "4", "--runs", "10", "--html", cmp_page, "--out", work / "compare.json")
    shoot(cmp_page, args.out / "compare.png", 1800)
    print(json.dumps({"work": str(work)}))


if __name__ == "__main__":
    main()
