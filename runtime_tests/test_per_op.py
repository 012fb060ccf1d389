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


@pytest.mark.parametrize("case,target,timing", [("lstm_loop", "host-x86_64", "measured"),
                                                ("gru_reset_after", "cortex-m4", "host-run")])
def test_ops_inside_a_converted_rnn_loop_are_timed_under_their_subgraph_times_the_trip_count(
        case: str, target: str, timing: str) -> None:
    """A Keras LSTM / GRU converted in loop form (WHILE, 6 time steps; benchmarks/evidence_cases.py): every op
    of its cond and body is timed alone in the same runner process, reported under its subgraph with the
    static trip count, and kept out of the main subgraph's sum (it is inside the WHILE's own time)."""
    from benchmarks.evidence_cases import ensure_cases
    from toolkit.report.html import render_html
    from toolkit.report.per_op_text import body_lines

    model = ensure_cases(case)[case]
    doc = bench_model(model, load_registry().get(target), options=FEW).to_dict()
    per_op = _check_accounted(doc, model, timing)
    whole = load_model(model)
    (loop,) = [op for op in per_op["ops"] if op["op"] == "WHILE"]
    assert loop["with_subgraphs"]
    bodies = {b["role"]: b for b in per_op["bodies"]}
    assert set(bodies) == {"cond", "body"}
    assert (bodies["body"]["runs_per_invoke"], bodies["cond"]["runs_per_invoke"]) == (6, 7)
    floor = per_op["invoke_floor_ms"]
    assert floor > 0
    for body in bodies.values():
        sg = whole.subgraphs[body["subgraph"]]
        assert body["parent_index"] == loop["index"] and body["parent_ms"] == loop["ms"]
        assert sorted(e["index"] for e in body["ops"]) == list(range(len(sg.operators)))  # all timed, none lost
        assert [op["op"] for op in sorted(body["ops"], key=lambda o: o["index"])] == [o.name for o in sg.operators]
        for op in body["ops"]:
            assert op["net_ms"] == pytest.approx(max(op["ms"] - floor, 0.0))
            assert op["per_invoke_ms"] == pytest.approx(op["net_ms"] * body["runs_per_invoke"])
            assert op["label"] == f"WHILE#{loop['index']} {body['role']} op {op['index']} {op['op']} × {body['runs_per_invoke']}"
        assert body["per_invoke_ms"] == pytest.approx(sum(op["per_invoke_ms"] for op in body["ops"]))
    assert per_op["sum_ms"] == pytest.approx(sum(op["ms"] for op in per_op["ops"]))  # bodies not added in
    lines = body_lines(per_op)
    assert any("WHILE#1 body (subgraph 2): " in line for line in lines) and all(len(ln) <= 80 for ln in lines)
    page = render_html([dict(json.loads(json.dumps(doc)), _file="b.json")])
    assert f"WHILE#{loop['index']} body (subgraph 2): × 6 per invoke" in page and "above invoke floor" in page


@pytest.mark.parametrize("runtime", ["litert", "tflite-runtime"])
def test_a_loop_body_above_the_invoke_floor_decomposes_its_while(runtime: str, tmp_path: Path) -> None:
    """A WHILE of 4 trips around a 512×512 FULLY_CONNECTED (toolkit.model.builder.fc_loop_model): the body
    ops' time above the invoke floor, times the static trip count, adds up to the WHILE slice's own time
    (0.88x on LiteRT, 1.10x on tflite-runtime when measured; the band is wide for a loaded machine)."""
    from toolkit.model.builder import fc_loop_model

    model = tmp_path / "fc_loop.tflite"
    model.write_bytes(fc_loop_model(trips=4))
    options = BenchOptions(runs=20, warmup=2, per_op=True, runtime=runtime)
    per_op = bench_model(model, load_registry().get("host-x86_64"), options=options).to_dict()["per_op"]
    body = next(b for b in per_op["bodies"] if b["role"] == "body")
    assert body["runs_per_invoke"] == 4 and body["how"] == "var0 from 0 while < 4 step 1"
    fc = next(op for op in body["ops"] if op["op"] == "FULLY_CONNECTED")
    assert fc["label"] == "WHILE#0 body op 1 FULLY_CONNECTED × 4"
    assert fc["net_ms"] > 2 * per_op["invoke_floor_ms"]  # well above what an isolated run cannot resolve
    assert fc == max(body["ops"], key=lambda op: op["ms"])
    assert 0.4 <= body["per_invoke_ms"] / body["parent_ms"] <= 2.0, (body["per_invoke_ms"], body["parent_ms"])
