"""`edgetk bench` on the emulated Pi 5 and Pi 4: every latency labelled emulated, the identity the target's.

One arm64 image serves both Pis; its canned /proc/cpuinfo says "Raspberry Pi 4 Model B". A Pi 5 bench must
not claim to be a Pi 4, and nothing downstream (results list/export, report) may call qemu time measured.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from runtime_tests.emulator_fixtures import tiny_models
from toolkit.emulator import ensure_image

pytestmark = [pytest.mark.slow, pytest.mark.device]
SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(Path(__file__).resolve().parents[1] / ".venv" / "edgetk-cache"))


@pytest.fixture(scope="session")
def int8_model() -> Path:
    os.environ["EDGETK_CACHE"] = SHARED_CACHE
    ensure_image("arm64")
    return tiny_models()["int8"]


def test_emulated_pi5_bench_is_labelled_emulated_everywhere(int8_model: Path, run_cli, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    proc = run_cli("bench", int8_model, "-t", "rpi5-arm64", "--runs", "5", "--warmup", "1", "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "Raspberry Pi 4" not in proc.stdout
    assert "cortex-a76" in proc.stdout and "emulated: relative comparisons only" in proc.stdout
    doc = json.loads(run_cli("bench", int8_model, "-t", "rpi5-arm64", "--runs", "5", "--warmup", "1", "--json",
                             "--db", db).stdout)
    assert doc["timing"] == doc["runner"]["latency_ms"]["timing"] == doc["headline"]["timing"] == "emulated"
    assert doc["roofline"]["timing"] == "emulated" and len(doc["runner"]["latency_ms"]["samples"]) == 5
    device = doc["runner"]["device"]
    assert device["board"].startswith("emulated Raspberry Pi 5") and "Pi 4" not in device["cpu_model"]
    assert device["guest_reported"]["board"] == "Raspberry Pi 4 Model B"  # kept, beside the honest identity
    rows = list(csv.DictReader(io.StringIO(run_cli("results", "export", "--format", "csv", "--db", db).stdout)))
    assert [(r["timing"], r["runner_timing"]) for r in rows] == [("emulated", "emulated")] * 2
    (tmp_path / "b.json").write_text(json.dumps(doc))
    assert run_cli("report", tmp_path / "b.json", "--html", tmp_path / "r.html").returncode == 0
    page = (tmp_path / "r.html").read_text()
    assert "Latency per target" not in page and "Relative comparisons only" in page
    assert "ms (emulated, relative only)" in page
