"""`bench --per-op` through real runtimes on real models: the isolated-op method on the whole model's transport.

Timings are not asserted beyond the documented bands of sum(op p50) / whole-model p50 on host LiteRT
(``toolkit.bench.per_op.RATIO_BAND`` on wall clock, ``CPU_RATIO_BAND`` on CPU time, which is what holds on
a loaded 2-core machine; figures: docs/PERFORMANCE.md, P11); what is asserted is that every op is timed or
accounted for, in ONE runner process beside the whole model, with the whole model's provenance.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from toolkit.bench import BenchOptions, bench_model
from toolkit.bench.documents import BenchDocument
from toolkit.bench.per_op import CPU_RATIO_BAND, RATIO_BAND
from toolkit.model import load_model
from toolkit.targets import load_registry

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
pytestmark = [pytest.mark.slow]
SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache"))
FEW = BenchOptions(runs=5, warmup=1, per_op=True)


def _check_accounted(doc: dict, model: Path, timing: str) -> dict:
    BenchDocument.model_validate(doc)  # the typed document, per_op included
    per_op = doc["per_op"]
    n_ops = len(load_model(model).main_subgraph.operators)
    seen = [e["index"] for e in per_op["ops"] + per_op["skipped"] + per_op["failed"]]
    assert sorted(seen) == list(range(n_ops))  # every op timed, or skipped / failed with a reason
    assert per_op["timing"] == doc["timing"] == timing
    assert per_op["sum_ms"] == pytest.approx(sum(op["ms"] for op in per_op["ops"]))
    assert sum(op["share"] for op in per_op["ops"]) == pytest.approx(1.0)
    # deliberately changed: the sum is compared with the whole model timed in the slices' own runner process,
    # interleaved with them round by round (it was the separate whole-model run's p50)
    assert per_op["whole_ms"] == per_op["whole_interleaved"]["ms"]
    assert per_op["ratio"] == pytest.approx(per_op["sum_ms"] / per_op["whole_ms"])
    spread = per_op["ratio_spread"]
    assert spread["rounds"] == per_op["rounds"] == len(per_op["whole_interleaved"]["round_ms"]) >= 2
    assert spread["min"] <= spread["median"] <= spread["max"]
    assert all(len(op["round_ms"]) == per_op["rounds"] for op in per_op["ops"])
    assert per_op["cpu_ratio"] == pytest.approx(per_op["cpu_sum_ms"] / per_op["cpu_whole_ms"])
    return per_op


@pytest.mark.parametrize("which", ["mobilenetv2", "mediapipe/hand_recrop.tflite"])
def test_host_litert_per_op_sum_is_within_the_band_of_the_whole_model(which: str) -> None:
    if which == "mobilenetv2":
        from benchmarks.models import ensure

        model = ensure("mobilenetv2")["mobilenetv2"]
    else:
        from benchmarks.corpus import corpus_model

        model = corpus_model(which)
    doc = bench_model(model, load_registry().get("host-x86_64"), options=FEW).to_dict()
    per_op = _check_accounted(doc, model, "measured")
    assert per_op["counts"]["timed"] == len(load_model(model).main_subgraph.operators)  # nothing left out
    assert RATIO_BAND[0] <= per_op["ratio"] <= RATIO_BAND[1], per_op["ratio"]
    assert CPU_RATIO_BAND[0] <= per_op["cpu_ratio"] <= CPU_RATIO_BAND[1], (per_op["cpu_ratio"], per_op["cpu_ratio_spread"])
    slowest = max(per_op["ops"], key=lambda op: op["ms"])
    assert slowest["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D")  # a PAD or RESHAPE on top would be a wrong slice


def test_tflm_per_op_is_host_run_and_skips_the_variable_ops() -> None:
    from benchmarks.corpus import corpus_model

    model = corpus_model("pymicro_wakeword/alexa.tflite")
    doc = bench_model(model, load_registry().get("cortex-m4"), options=FEW).to_dict()
    per_op = _check_accounted(doc, model, "host-run")
    skipped = {e["op"] for e in per_op["skipped"]}
    assert skipped >= {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}
    assert {op["op"] for op in per_op["ops"]} >= {"CONV_2D", "FULLY_CONNECTED"}


@pytest.mark.device
def test_emulated_pi_per_op_is_labelled_emulated_in_terminal_json_and_html(run_cli, tmp_path: Path) -> None:
    from runtime_tests.emulator_fixtures import tiny_models
    from toolkit.emulator import ensure_image

    os.environ["EDGETK_CACHE"] = SHARED_CACHE
    ensure_image("arm64")
    model = tiny_models()["int8"]
    proc = run_cli("bench", model, "-t", "rpi4-arm64", "--runs", "3", "--warmup", "1", "--per-op", "--json",
                   "--no-store")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _check_accounted(doc, model, "emulated")
    (tmp_path / "b.json").write_text(proc.stdout)
    assert run_cli("report", tmp_path / "b.json", "--html", tmp_path / "r.html").returncode == 0
    page = (tmp_path / "r.html").read_text()
    assert "Per-op time (bench --per-op)" in page and "p50 ms (emulated)" in page
