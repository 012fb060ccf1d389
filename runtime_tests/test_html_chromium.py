"""The HTML report opened in real headless Chromium (Debian's package), with a screenshot taken.

Proves the page renders offline (no network flags, no external reference in it) and that the plots are
really drawn: the screenshot must show many colours and mostly non-blank rows, not an empty page.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from toolkit.report.compare import compare_models
from toolkit.report.html import write_html_report
from toolkit.report.inputs import load_results

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


def _model(path: Path, op: str, description: str) -> Path:
    from toolkit.model.builder import ModelBuilder

    b = ModelBuilder(description=description)
    x, y = b.add_tensor([1, 8], name="x"), b.add_tensor([1, 8], name="y")
    b.add_op(op, [x], [y])
    b.set_io([x], [y])
    path.write_bytes(b.build())
    return path


def _report(tmp_path: Path, run_cli) -> Path:
    new = _model(tmp_path / "new.tflite", "RELU", "MLIR Converted.")
    old = _model(tmp_path / "old.tflite", "TANH", "TOCO Converted.")
    (tmp_path / "cmp.json").write_text(json.dumps(compare_models(new, old, targets=["host-x86_64", "cortex-m4"]).to_dict()))
    check = run_cli("check", new, "--target", "cortex-m4", "--target", "host-x86_64", "--json")
    assert check.returncode in (0, 1), check.stderr
    (tmp_path / "check.json").write_text(check.stdout)
    bench = run_cli("bench", new, "--target", "host-x86_64", "--runs", "8", "--warmup", "1", "--json", "--no-store")
    assert bench.returncode == 0, bench.stderr  # a real document: report validates what it reads
    (tmp_path / "bench.json").write_text(bench.stdout)
    docs = load_results([tmp_path / "cmp.json", tmp_path / "check.json", tmp_path / "bench.json"])
    return write_html_report(tmp_path / "report.html", docs)


def test_report_renders_in_headless_chromium(tmp_path: Path, run_cli) -> None:
    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: run scripts/system-deps.sh")
    page_path = _report(tmp_path, run_cli)
    page = page_path.read_text()
    assert page.count("<svg") >= 5
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?:", page) and "http://" not in page and "https://" not in page
    shot = tmp_path / "shot.png"
    argv = [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
            "--window-size=1280,4000", page_path.resolve().as_uri()]  # summary first: a longer page
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert shot.exists(), proc.stderr[-2000:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (4000, 1280)
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb, axis=0)
    assert len(colours) > 200  # text, plot fills, heat-map greens and reds, antialiasing
    rows = (pixels[..., :3] * 255).astype(np.uint8)
    non_blank_rows = np.mean([(row != 255).any() for row in rows])
    assert non_blank_rows > 0.5
    # the heat map's green (runs) and the new/old bar blue are on the page
    assert np.any(np.all(np.abs(rgb.astype(int) - (44, 160, 44)) < 8, axis=1))
    assert np.any(np.all(np.abs(rgb.astype(int) - (31, 119, 180)) < 8, axis=1))


def _screenshot(page: Path, tmp_path: Path, height: int) -> np.ndarray:
    shot = tmp_path / f"{page.stem}.png"
    argv = [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
            f"--window-size=1280,{height}", page.resolve().as_uri()]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert shot.exists(), proc.stderr[-2000:]
    import matplotlib.image as mpimg

    return (mpimg.imread(shot)[..., :3] * 255).astype(int)


def _has(pixels: np.ndarray, rgb: tuple[int, int, int], tol: int = 10) -> bool:
    return bool(np.any(np.all(np.abs(pixels - rgb) < tol, axis=-1)))


def test_compare_page_shows_verdict_and_reasons_first(tmp_path: Path) -> None:
    """A manager reads the verdict without scrolling: the red verdict and the pink failing summary row are in
    the first screen (800 px) of the page, the plots further down."""
    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: run scripts/system-deps.sh")
    new = _model(tmp_path / "new.tflite", "RELU", "MLIR Converted.")
    old = _model(tmp_path / "old.tflite", "TANH", "TOCO Converted.")
    doc = compare_models(new, old, targets=["host-x86_64", "cortex-m4"]).to_dict()
    assert doc["verdict"] == "regression"
    page = write_html_report(tmp_path / "compare.html", [doc])
    text = page.read_text()
    assert text.index("verdict regression") < text.index("<svg")
    pixels = _screenshot(page, tmp_path, 2000)
    top, rest = pixels[:800], pixels[800:]
    assert _has(top, (176, 0, 32))  # .regression (#b00020): the verdict line and its reasons
    assert _has(top, (253, 236, 238), tol=3)  # tr.fail (#fdecee): the failing row of the summary table
    assert _has(rest, (31, 119, 180))  # the new-vs-old bars come after, in the details
