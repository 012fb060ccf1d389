"""compare --bench on targets where one model cannot run: a finding per target, never a dead comparison.

Real models (written with toolkit.model.builder, no TensorFlow) benched for real: LiteRT on the host, TFLite
Micro for cortex-m4. GELU is a builtin that LiteRT has and TFLM lacks (measured op tables); a CONV_2D
without its bias input passes the op-table check but fails in the runtime's Prepare, i.e. mid-bench.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolkit.model.builder import build_single_op_model
from toolkit.report.compare import compare_models
from toolkit.report.latency import BenchPlan

QUICK = ("--rounds", "2", "--runs", "2")


@pytest.fixture
def models(tmp_path: Path) -> dict[str, Path]:
    """gelu / gelu_copy / relu on x[1,8], and a CONV_2D the runtime refuses at Prepare."""
    out = {"gelu": build_single_op_model("GELU", shapes=[[1, 8]]), "relu": build_single_op_model("RELU", shapes=[[1, 8]]),
           "broken_conv": build_single_op_model("CONV_2D")}
    paths = {}
    for name, data in out.items():
        paths[name] = tmp_path / f"{name}.tflite"
        paths[name].write_bytes(data)
    paths["gelu_copy"] = tmp_path / "gelu_copy.tflite"
    shutil.copy2(paths["gelu"], paths["gelu_copy"])
    return paths


def _skips(doc: dict) -> dict[str, dict]:
    return {f["target"]: f for f in doc["findings"] if f["kind"] == "latency-skipped"}


def test_new_model_lacking_a_kernel_is_skipped_there_and_is_a_regression(run_cli, models: dict[str, Path]) -> None:
    proc = run_cli("compare", models["gelu"], models["relu"], "-t", "cortex-m4", "-t", "host-x86_64", "--bench", *QUICK,
                   "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "regression"
    skip = _skips(doc)["cortex-m4"]
    assert skip["message"] == "not benchmarked on cortex-m4: the new model does not run there (GELU: no kernel)"
    assert skip["side"] == "new" and skip["severity"] == "warning"
    [host] = doc["latency"]
    assert host["target"] == "host-x86_64" and len(host["new"]["rounds_ms"]) == len(host["old"]["rounds_ms"]) == 2
    assert all(v > 0 for v in host["new"]["rounds_ms"] + host["old"]["rounds_ms"])
    support = [f for f in doc["findings"] if f["kind"] == "support"]
    assert [(f["target"], f["severity"]) for f in support] == [("cortex-m4", "regression")]
    m4 = next(t for t in doc["targets"] if t["target"] == "cortex-m4")
    assert m4["new_reasons"] == ["GELU: no kernel"] and m4["old_reasons"] == []


def test_both_models_lacking_the_kernel_pass_with_host_timing(run_cli, models: dict[str, Path]) -> None:
    proc = run_cli("compare", models["gelu"], models["gelu_copy"], "-t", "cortex-m4", "-t", "host-x86_64", "--bench",
                   *QUICK, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "pass"
    skip = _skips(doc)["cortex-m4"]
    assert skip["side"] == "both" and skip["severity"] == "warning"
    assert skip["message"].startswith("not benchmarked on cortex-m4: neither model runs there (new: GELU: no kernel")
    assert [row["target"] for row in doc["latency"]] == ["host-x86_64"]


def test_a_bench_target_outside_the_checked_ones_is_checked_first(models: dict[str, Path]) -> None:
    """The bench plan's own targets get a support row too, so the skip decision never guesses."""
    cmp = compare_models(models["gelu"], models["relu"], bench=BenchPlan(targets=("cortex-m4",), rounds=2, runs=2),
                         numerics=False)
    assert [(t.target, t.change) for t in cmp.targets] == [("cortex-m4", "regression")]
    assert cmp.latency == [] and [s.target for s in cmp.latency_skipped] == ["cortex-m4"]


def test_new_model_failing_mid_bench_is_a_regression_on_that_target(models: dict[str, Path]) -> None:
    cmp = compare_models(models["broken_conv"], models["relu"], targets=["host-x86_64"],
                         bench=BenchPlan(rounds=2, runs=2), numerics=False)
    # the check cannot see it (the runtime's Prepare refuses it), the bench did: its outcome is the verdict
    [row] = cmp.targets
    assert (row.new_verdict, row.predicted_new_verdict, row.evidence, row.prediction_wrong) == (
        "does-not-run", "runs", "bench", True)
    assert (row.old_verdict, row.predicted_old_verdict, row.change) == ("runs", "runs", "regression")
    [skip] = cmp.latency_skipped
    assert (skip.target, skip.side, skip.severity) == ("host-x86_64", "new", "regression")
    assert "the new model failed during the bench, the old one ran" in skip.message and "CONV_2D" in skip.message
    assert cmp.latency == [] and cmp.verdict == "regression"


def test_old_model_failing_mid_bench_is_only_a_warning(models: dict[str, Path]) -> None:
    cmp = compare_models(models["relu"], models["broken_conv"], targets=["host-x86_64"],
                         bench=BenchPlan(rounds=2, runs=2), numerics=False)
    [skip] = cmp.latency_skipped
    assert (skip.side, skip.severity) == ("old", "warning")
    assert cmp.verdict == "pass"
    [row] = cmp.targets
    assert (row.new_verdict, row.old_verdict, row.predicted_old_verdict, row.change) == (
        "runs", "does-not-run", "runs", "improvement")


def test_compare_never_prints_runs_beside_a_run_that_saw_the_model_fail(run_cli, models: dict[str, Path]) -> None:
    """Evidence beats prediction (docs/DEVELOPING.md): the numerics run (LiteRT on this host) saw the new model
    fail, so on the LiteRT target the table, JSON, findings and `report` summary all say so, with check's
    prediction beside it and PREDICTION WRONG said loudly; the bench then skips it there with that reason."""
    proc = run_cli("compare", models["broken_conv"], models["relu"], "-t", "host-x86_64", "--bench", *QUICK, "--json",
                   "-o", models["relu"].with_name("cmp.json"))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    [row] = doc["targets"]
    assert (row["new_verdict"], row["predicted_new_verdict"], row["evidence"], row["prediction_wrong"]) == (
        "does-not-run", "runs", "numerics", True)
    [wrong] = [f for f in doc["findings"] if f["kind"] == "prediction-wrong"]
    assert wrong["message"].startswith("PREDICTION WRONG on host-x86_64: check predicted the new model runs")
    assert "CONV_2D" in _skips(doc)["host-x86_64"]["message"] and doc["latency"] == []
    text = " ".join(run_cli("compare", models["broken_conv"], models["relu"], "-t", "host-x86_64").stdout.split())
    # at 80 columns the new cell folds onto two lines; the old model ran in the same run, and its cell says so
    assert "does-not-run (numerics;" in text and "predicted runs)" in text and "PREDICTION WRONG on host-x86_64" in text
    assert "│ runs (numerics) │" in text
    assert "│ runs │ runs │" not in text
    page = models["relu"].with_name("report.html")
    assert run_cli("report", models["relu"].with_name("cmp.json"), "--html", page).returncode == 0
    html = page.read_text()
    assert "does-not-run (numerics run) — PREDICTION WRONG: check said runs" in html  # the summary row
    assert "does-not-run (numerics; predicted runs)" in html  # the support table


def test_the_numerics_run_decides_litert_targets_only(models: dict[str, Path]) -> None:
    """LiteRT refusing the model on this host says nothing about TFLM: cortex-m4 keeps check's verdict."""
    cmp = compare_models(models["broken_conv"], models["relu"], targets=["host-x86_64", "cortex-m4"])
    assert "CONV_2D" in cmp.numerics.new_status and cmp.numerics.old_status == "ok"  # attributed to the new model
    host, m4 = cmp.targets
    assert (host.new_verdict, host.evidence, host.predicted_new_verdict, host.change) == (
        "does-not-run", "numerics", "runs", "regression")
    assert (m4.new_verdict, m4.evidence, m4.prediction_wrong) == ("runs", "static", False)
    assert [f["target"] for f in cmp.findings if f["kind"] == "prediction-wrong"] == ["host-x86_64"]
    assert cmp.verdict == "regression"


def test_a_model_that_hangs_the_numerics_run_is_blamed_and_not_benched(models: dict[str, Path]) -> None:
    """The numerics child runs new then old and marks each on stderr: a hang is the model it was running when
    the timeout hit. Before, compare said 'runs' and then hung in the bench for the bench's own timeout."""
    from toolkit.model.builder import endless_while_model, while_model

    endless, loop = models["relu"].with_name("endless.tflite"), models["relu"].with_name("while.tflite")
    endless.write_bytes(endless_while_model())
    loop.write_bytes(while_model())
    cmp = compare_models(endless, loop, targets=["host-x86_64"], bench=BenchPlan(rounds=2, runs=1), timeout_s=3)
    # the old model, never reached in the shared child, is then run alone: its own outcome, not check's guess
    assert cmp.numerics.new_status == "hung: did not finish within 3 s" and cmp.numerics.old_status == "ok"
    [row] = cmp.targets
    assert (row.new_verdict, row.evidence, row.predicted_new_verdict, row.change) == (
        "does-not-run", "numerics", "runs", "regression")
    [skip] = cmp.latency_skipped  # not benched: the numerics run already saw it hang
    assert skip.side == "new" and not skip.observed and "hung" in skip.message
    # the old model hanging: the new one had run to its end, the old side is the one that does not run
    ends = models["relu"].with_name("ends.tflite")
    ends.write_bytes(endless_while_model(step=1 << 29))  # same signature, returns
    back = compare_models(ends, endless, targets=["host-x86_64"], timeout_s=3)
    assert (back.numerics.new_status, back.numerics.old_status) == ("ok", "hung: did not finish within 3 s")
    assert (back.targets[0].new_verdict, back.targets[0].old_verdict, back.targets[0].change) == (
        "runs", "does-not-run", "improvement")


def test_models_that_hang_the_numerics_run_never_pass_without_a_target(run_cli, tmp_path: Path) -> None:
    """With no -t no target row carries the hang, yet the comparison's own run never finished: before, both models
    hanging printed 'verdict: pass' (exit 0). A hang blamed on the new model is a regression, said as not compared;
    the old model hanging after the new one ran is a warning (the new model runs)."""
    from toolkit.model.builder import endless_while_model

    endless, again, ends = tmp_path / "endless.tflite", tmp_path / "endless_again.tflite", tmp_path / "ends.tflite"
    endless.write_bytes(endless_while_model())
    again.write_bytes(endless_while_model())
    ends.write_bytes(endless_while_model(step=1 << 29))
    proc = run_cli("compare", endless, again, "--timeout", "3", "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "regression" and doc["targets"] == []
    hang, old_alone = [f for f in doc["findings"] if f["kind"] == "numerics"]
    assert hang == {"severity": "regression", "kind": "numerics",
                    "message": "not compared: new model on the host hung: did not finish within 3 s"}
    assert old_alone["message"] == "old model did not run on the host: hung: did not finish within 3 s"
    text = run_cli("compare", endless, again, "--timeout", "3")
    assert text.returncode == 1 and "verdict: regression" in text.stdout and "verdict: pass" not in text.stdout
    assert "not compared: new model on the host hung" in text.stdout
    old_hangs = run_cli("compare", ends, endless, "--timeout", "3", "--json")
    assert old_hangs.returncode == 0, old_hangs.stderr
    numerics = [(f["severity"], f["message"]) for f in json.loads(old_hangs.stdout)["findings"] if f["kind"] == "numerics"]
    assert numerics == [("warning", "old model did not run on the host: hung: did not finish within 3 s"),
                        ("warning", "the new model ran, but its outputs were lost with the child")]


def test_both_models_hanging_the_numerics_run_is_the_verdict_of_both_sides(run_cli, tmp_path: Path) -> None:
    """The new model hanging stopped the shared child before the old one was reached; the old model is then run
    alone and its hang is the old side's verdict too. Before, the old cell kept check's 'runs' and a finding said
    'old model runs, new model does not run' about a model no runtime had finished."""
    from toolkit.model.builder import endless_while_model

    endless, again = tmp_path / "endless.tflite", tmp_path / "endless_again.tflite"
    endless.write_bytes(endless_while_model())
    again.write_bytes(endless_while_model())
    proc = run_cli("compare", endless, again, "-t", "host-x86_64", "--timeout", "3", "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    [row] = doc["targets"]
    assert (row["new_verdict"], row["old_verdict"], row["predicted_new_verdict"], row["predicted_old_verdict"]) == (
        "does-not-run", "does-not-run", "runs", "runs")
    assert (row["evidence"], row["prediction_wrong"], row["change"]) == ("numerics", True, "unchanged")
    assert doc["numerics"]["old_status"] == "hung: did not finish within 3 s"
    [wrong] = [f for f in doc["findings"] if f["kind"] == "prediction-wrong"]
    assert "check predicted the new model runs and the old model runs; LiteRT on this host (the numerics run) " \
           "failed to run them" in wrong["message"]
    assert not [f for f in doc["findings"] if "old model runs, new model does not run" in f["message"]]
    text = " ".join(run_cli("compare", endless, again, "-t", "host-x86_64", "--timeout", "3").stdout.split())
    # both cells of the row (at 80 columns each folds after 'numerics;'), and no cell left saying 'runs'
    assert text.count("does-not-run (numerics;") == 2 and text.count("predicted runs)") == 2
    assert "│ runs │" not in text


def test_compare_timeout_bounds_each_bench_round_and_a_tflm_hang_is_the_verdict(run_cli, tmp_path: Path) -> None:
    """--timeout covers every runtime child, the bench rounds too: TFLM never returning from the endless WHILE
    is a does-not-run verdict (bench) after ~5 s, not a 600 s wait; check's 'runs' stays beside it."""
    from toolkit.model.builder import endless_while_model

    endless, ends = tmp_path / "endless.tflite", tmp_path / "ends.tflite"
    endless.write_bytes(endless_while_model())
    ends.write_bytes(endless_while_model(step=1 << 29))
    proc = run_cli("compare", endless, ends, "-t", "cortex-m4", "--bench", *QUICK, "--timeout", "5", "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    [row] = doc["targets"]
    assert (row["new_verdict"], row["evidence"], row["predicted_new_verdict"], row["change"]) == (
        "does-not-run", "bench", "runs", "regression")
    skip = _skips(doc)["cortex-m4"]
    assert skip["side"] == "new" and "did not finish within 5s" in skip["message"]


def test_inputs_of_the_other_signature_are_not_a_verdict(tmp_path: Path) -> None:
    """The numerics run feeds both models the new one's inputs: an old model with another signature cannot take
    them, which says nothing about whether it runs, so check's verdict stands."""
    from toolkit.model.builder import endless_while_model, while_model

    one, two = tmp_path / "one_input.tflite", tmp_path / "two_inputs.tflite"
    one.write_bytes(endless_while_model(step=1 << 29))
    two.write_bytes(while_model())
    cmp = compare_models(one, two, targets=["host-x86_64"])
    assert cmp.numerics.new_status == "ok" and cmp.numerics.old_status.startswith("inputs do not fit: 2 inputs")
    [row] = cmp.targets
    assert (row.new_verdict, row.old_verdict, row.evidence, row.prediction_wrong) == ("runs", "runs", "static", False)


def test_a_target_where_every_model_ran_says_which_run_confirmed_it(run_cli, models: dict[str, Path]) -> None:
    """Both models ran in the numerics run (LiteRT on this host): the litert target's "runs" is that run's, not
    only the op tables' (evidence "numerics", the prediction beside it, nothing wrong); a target no run of the
    comparison reached stays "static". With --bench on a TFLM target, the bench's runs confirm it there."""
    proc = run_cli("compare", models["relu"], models["relu"], "-t", "host-x86_64", "-t", "cortex-m4", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["target"]: r for r in json.loads(proc.stdout)["targets"]}
    host, m4 = rows["host-x86_64"], rows["cortex-m4"]
    assert (host["evidence"], host["new_verdict"], host["predicted_new_verdict"], host["prediction_wrong"]) == (
        "numerics", "runs", "runs", False)
    assert m4["evidence"] == "static" and m4.get("predicted_new_verdict") is None
    text = " ".join(run_cli("compare", models["relu"], models["relu"], "-t", "host-x86_64").stdout.split())
    assert "│ host-x86_64 │ runs (numerics) │ runs (numerics) │" in text and "PREDICTION WRONG" not in text
    benched = run_cli("compare", models["relu"], models["relu"], "-t", "cortex-m4", "--bench", *QUICK, "--json")
    assert benched.returncode == 0, benched.stderr
    [m4] = json.loads(benched.stdout)["targets"]
    assert (m4["evidence"], m4["predicted_new_verdict"], m4["prediction_wrong"]) == ("bench", "runs", False)
