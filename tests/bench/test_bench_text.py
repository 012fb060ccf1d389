"""`bench` as text in an 80-column CI log: the headline breaks between phrases, never inside "(the binary reports
no version)", and the fleet table shows every figure and its provenance whole, a failed device's reason below it.

The fleet is real (LiteRT on this host through the local transport, a third-party model); the phone's document
is built from benchmark_model's documented output (tests/bench/data/), as no phone exists here."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.bench import BenchOptions
from toolkit.bench.bench_run import BenchRequest, run_bench
from toolkit.bench.benchmark_model import parse_benchmark_output
from toolkit.report.bench_text import print_bench_run, render

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def ci_log_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _phone_doc() -> dict:
    runner = {"tool": {"name": "benchmark_model", "binary": "/data/local/tmp/benchmark_model", "argv": []},
              "runtime": {"name": "litert", "version": "benchmark_model (the binary reports no version)"},
              "device": {"arch": "aarch64", "cpu_model": "Qualcomm Technologies, Inc SM8550"},
              "options": {"runs": 50, "warmup": 1, "threads": 4, "xnnpack": True, "gpu": False},
              **parse_benchmark_output((DATA / "benchmark_model_current.txt").read_text())}
    return {"model": {"path": "/models/selfie_segmentation.tflite"}, "target": "android-arm64", "transport": "adb",
            "runner": runner, "headline": {"p50_ms": runner["latency_ms"]["p50"], "timing": "measured"},
            "timing": "measured", "findings": []}


def test_the_headline_breaks_between_phrases_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    render(_phone_doc())
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["selfie_segmentation.tflite on android-arm64 via adb",
                         "  — litert benchmark_model (the binary reports no version),",
                         "  aarch64 Qualcomm Technologies, Inc SM8550",
                         "latency p50 6.940 ms (measured on the device)"]
    assert all(len(line.rstrip()) <= 80 for line in lines)


def test_the_fleet_table_keeps_its_timing_column_whole_at_80_columns(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "devices.toml"
    inventory.write_text('[devices.desk-workstation]\ntarget = "host-x86_64"\ntransport = "local"\n\n'
                         '[devices.pi]\ntarget = "no-such-target"\ntransport = "local"\n')
    run = run_bench(BenchRequest(corpus_model("mediapipe/selfie_segmentation.tflite"), all_devices=True,
                                 inventory=inventory, store=False, options=BenchOptions(runs=2, warmup=0)))
    print_bench_run(run)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines) and "…" not in out
    [ok] = [line for line in lines if "desk-" in line]
    cells = [c.strip() for c in ok.split("│")[1:-1]]
    p50 = run.results[0].result.latency_ms["p50"]  # the median, as every other output leads with
    assert (cells[1], cells[-4], cells[-2], cells[-1]) == ("host-x86_64", f"{p50:.3f}", "2", "measured")
    [failed] = [line for line in lines if line.startswith("pi: FAILED: ")]  # its reason below the table, whole
    assert "unknown target 'no-such-target'" in " ".join(out.split("pi: FAILED: ", 1)[1].split())


def test_every_figure_of_a_measured_bench_says_its_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    """The roofline's ideal is the cost model over the descriptor's peak: it said no provenance beside measured
    figures; a TFLM arena from this host said "(measured)", the word for a device."""
    doc = _phone_doc()
    doc["roofline"] = {"total_macs": 1000, "peak_macs_per_s": 1e9, "ideal_ms": 0.364, "efficiency": 0.044,
                       "latency_ms": 8.25, "timing": "measured", "emulated": False, "estimated": False}
    render(doc)
    out = " ".join(capsys.readouterr().out.split())  # rich wraps it at a space at 80 columns
    assert "roofline: ideal 0.364 ms at peak → efficiency 4.4% (ideal estimated; against the measured p50)" in out
    tflm = dict(doc, timing="host-run", roofline=None, runner={**doc["runner"], "tool": None,
                                                                "arena": {"total_bytes": 20432}})
    render(tflm)
    out = capsys.readouterr().out
    assert "TFLM arena: 20,432 bytes (host-run: TFLM on this host)" in out and "(measured)" not in out


def test_a_fleet_row_without_a_median_shows_the_mean_saying_so(capsys: pytest.CaptureFixture[str]) -> None:
    """An older benchmark_model prints count/min/max/avg/std but no median: the p50 column shows its mean,
    labelled 'avg', never an empty cell or the mean passed off as the median."""
    from types import SimpleNamespace

    from rich.console import Console

    from toolkit.report.bench_text import fleet_table

    result = SimpleNamespace(latency_ms={"runs": 50, "mean": 1.52, "p50": None, "p90": None},
                             runner={"runtime": {"name": "litert", "version": None}}, timing="measured", delegate=None)
    row = SimpleNamespace(ok=True, device="phone", transport="adb", target="android-arm64", result=result)
    Console(width=80).print(fleet_table([row]))
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "phone" in ln)
    cells = [c.strip() for c in line.split("│")[1:-1]]
    assert cells[-4:] == ["1.520 avg", "-", "50", "measured"]
