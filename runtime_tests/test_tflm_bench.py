"""Real models on the TFLM host interpreter (tflite-micro) through the tflm transport, in child processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toolkit.bench import BenchOptions, bench_model
from toolkit.errors import RuntimeCrashError
from toolkit.targets import load_registry

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="module")
def models() -> dict[str, Path]:
    from benchmarks.mlperf_tiny_models import ensure_models

    return ensure_models(("tiny-int8", "kws", "ad"))


def _tflm_reported_arena(model: Path) -> int:
    """What TFLM's own print_allocations says, in a separate plain process (no edgetk code involved)."""
    script = (
        "import sys, numpy as np\n"
        "from tflite_micro.python.tflite_micro import runtime\n"
        "i = runtime.Interpreter.from_file(sys.argv[1], arena_size=8 * 2**20)\n"
        "d = i.get_input_details(0)\n"
        "i.set_input(np.zeros(d['shape'], d['dtype']), 0)\n"
        "i.invoke()\n"
        "i.print_allocations()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(model)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return int(re.search(r"Arena allocation total (\d+) bytes", proc.stderr).group(1))


@pytest.mark.parametrize("name", ["tiny-int8", "kws", "ad"])
def test_tflm_arena_equals_tflm_report(models, name: str) -> None:
    result = bench_model(models[name], load_registry().get("cortex-m4"), options=BenchOptions(runs=3, warmup=1))
    arena = result.runner["arena"]["total_bytes"]
    assert arena == _tflm_reported_arena(models[name])
    assert result.runner["runtime"]["name"] == "tflm" and result.transport == "tflm"
    lat = result.runner["latency_ms"]
    assert lat["runs"] == 3 and lat["min"] <= lat["p50"] <= lat["p90"] <= lat["max"]
    rules = {f.rule for f in result.findings}
    assert {"arena-fits-ram", "model-fits-flash"} <= rules
    mcu = result.mcu_estimate
    assert mcu["estimated"] is True and mcu["latency_ms"] > 0 and mcu["target"] == "cortex-m4"
    # the roofline is against the estimated MCU latency (120 MHz x 0.5 MACs/cycle), never the host's timing
    roof = result.roofline
    assert roof["timing"] == "estimated" and roof["latency_ms"] == mcu["latency_ms"] and "measured_ms" not in roof
    assert roof["peak_macs_per_s"] == 1.2e8 * 0.5
    assert roof["efficiency"] == pytest.approx(roof["ideal_ms"] / mcu["latency_ms"]) and 0 < roof["efficiency"] < 1


def test_tflm_outputs_match_litert(models, tmp_path: Path) -> None:
    reg = load_registry()
    tflm_npz, litert_npz = tmp_path / "tflm.npz", tmp_path / "litert.npz"
    bench_model(models["kws"], reg.get("cortex-m4"), options=BenchOptions(runs=1, warmup=0, keep_outputs=tflm_npz))
    bench_model(
        models["kws"], reg.get("host-x86_64"),
        options=BenchOptions(runs=1, warmup=0, keep_outputs=litert_npz, xnnpack=False),
    )  # fmt: skip
    with np.load(tflm_npz) as a, np.load(litert_npz) as b:
        assert np.array_equal(a["input_0"], b["input_0"])  # same seed, same inputs on every device
        assert np.abs(a["output_0"].astype(int) - b["output_0"].astype(int)).max() <= 1


def test_arena_larger_than_ram_is_a_finding(models) -> None:
    m4 = load_registry().get("cortex-m4")
    data = m4.model_dump()
    data["memory"] = {"ram_bytes": 1024, "flash_bytes": 1024}
    small = type(m4).model_validate(data)
    result = bench_model(models["tiny-int8"], small, options=BenchOptions(runs=1, warmup=0))
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["arena-exceeds-ram"].severity == "error"
    assert "5,712 bytes (host-run) exceeds" in by_rule["arena-exceeds-ram"].message
    assert by_rule["model-exceeds-flash"].severity == "error"


def test_tiny_arena_segfault_is_reported_not_fatal(models) -> None:
    with pytest.raises(RuntimeCrashError) as info:
        bench_model(models["tiny-int8"], load_registry().get("cortex-m4"), options=BenchOptions(arena_bytes=16))
    assert info.value.signal_name == "SIGSEGV"
    assert "during init" in str(info.value) and "(killed by SIGSEGV)" in str(info.value)


def test_arena_too_small_names_the_shortfall(models) -> None:
    with pytest.raises(RuntimeCrashError, match=r"Failed to resize buffer\. Requested: \d+, available 3120"):
        bench_model(models["tiny-int8"], load_registry().get("cortex-m4"), options=BenchOptions(arena_bytes=5000))


def test_missing_tflm_kernel_is_named(tmp_path: Path) -> None:
    from toolkit.model.builder import select_model

    path = tmp_path / "select_v1.tflite"
    path.write_bytes(select_model(1))
    with pytest.raises(RuntimeCrashError, match="has no kernel for SELECT"):
        bench_model(path, load_registry().get("cortex-m4"), options=BenchOptions(runs=1))
