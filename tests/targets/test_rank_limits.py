"""Rank limits are per op and per runtime, measured — not one static rule (issue 17: "ranks beyond what runtimes
accept -> does-not-run"). The constraints probe runs each op at ranks 1-8 and 16 in the real runtimes (child
processes); the committed tables hold what it measured, `check` reads them, and `--verify` agrees."""

from __future__ import annotations

import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.model import load_model
from toolkit.paths import shipped_targets_dir
from toolkit.targets import check_model, load_registry
from toolkit.targets.constraints import RANK_LIMITED_OPS, op_features
from toolkit.targets.probe_constraints import _ranked

TABLES = {rt: json.loads((shipped_targets_dir() / "optables" / f"{rt}.json").read_text())["constraints"]
          for rt in ("litert", "tflite-runtime", "tflm")}


@pytest.mark.parametrize(("runtime", "op", "first_rejected", "says"), [
    ("tflm", "TRANSPOSE", "6", "only supports 1D-5D"),
    ("tflite-runtime", "TRANSPOSE", "7", "only supports 1D-6D"),
    ("litert", "TRANSPOSE", "9+", "only supports 1D-8D"),
    ("tflm", "CONCATENATION", "7", "does not currently support num dimensions > 6"),
    ("litert", "CONCATENATION", "7", "failed to delegate CONCATENATION"),  # XNNPACK, on by default
    ("litert", "SOFTMAX", "7", "failed to delegate SOFTMAX"),
    ("litert", "MEAN", "7", "failed to delegate MEAN"),
    ("tflm", "ADD", "8", "SIGABRT"),
    ("tflm", "TANH", "9+", "SIGSEGV"),
])  # fmt: skip
def test_the_committed_tables_hold_each_measured_rank_limit(runtime: str, op: str, first_rejected: str,
                                                            says: str) -> None:
    ranks = TABLES[runtime][op]["rank"]
    order = [*map(str, range(1, 9)), "9+"]
    accepted = order[:order.index(first_rejected)]
    assert all(ranks[r] == "ok" for r in accepted), ranks
    assert says in ranks[first_rejected]


def test_rank_alone_is_no_reason_elementwise_ops_run_at_every_probed_rank() -> None:
    for runtime, table in TABLES.items():
        assert set(table["ABS"]["rank"].values()) == {"ok"}, runtime
        assert set(table["MUL"]["rank"].values()) == {"ok"}, runtime
    assert set(TABLES["tflite-runtime"]["SOFTMAX"]["rank"].values()) == {"ok"}  # no XNNPACK refusal there


def test_a_fresh_probe_reproduces_the_committed_rank_constraints_of_tflm() -> None:
    """The probe, in child processes with the real TFLM, measures the same as the table says."""
    from toolkit.targets.probe import _probe_constraints

    with tempfile.TemporaryDirectory() as tmp:
        fresh = _probe_constraints("tflm", Path(tmp), None)
    for op in RANK_LIMITED_OPS:
        assert {v: d == "ok" for v, d in fresh[op]["rank"].items()} == \
               {v: d == "ok" for v, d in TABLES["tflm"][op]["rank"].items()}, op


def test_check_says_does_not_run_where_the_runtime_refuses_the_rank_and_verify_agrees(tmp_path: Path) -> None:
    from toolkit.targets.verify import VerifyOptions, verify_report

    path = tmp_path / "transpose6.tflite"
    path.write_bytes(_ranked("TRANSPOSE", 6))
    registry = load_registry()
    targets = [registry.get(t) for t in ("cortex-m4", "host-x86_64")]
    with load_model(path) as model:
        assert op_features(model, model.main_subgraph.operators[0]) == {"rank": "6"}
        report = check_model(model, targets)
        tflm, litert = report.results
        assert tflm.verdict == "does-not-run" and litert.verdict == "runs"
        assert any(f.rule == "kernel_constraint" and "rank = 6" in f.message for f in tflm.findings), tflm.findings
        verified = verify_report(model, report, targets, VerifyOptions(emulated=False, timeout=60))
    by_target = {r.target: r for r in verified.results}
    assert by_target["cortex-m4"].verdict == "does-not-run" and not by_target["cortex-m4"].prediction_wrong
    assert by_target["host-x86_64"].verdict == "runs" and not by_target["host-x86_64"].prediction_wrong


def test_ranks_above_eight_are_looked_up_as_the_probed_high_rank(tmp_path: Path) -> None:
    path = tmp_path / "transpose12.tflite"
    path.write_bytes(_ranked("TRANSPOSE", 12))
    with load_model(path) as model:
        assert op_features(model, model.main_subgraph.operators[0]) == {"rank": "9+"}
        report = check_model(model, ["host-x86_64"])
    assert report.results[0].verdict == "does-not-run"  # LiteRT: 1D-8D only


def test_an_input_numpy_cannot_hold_is_not_tried_not_blamed_on_the_runtime(tmp_path: Path, run_cli) -> None:
    """Above 32 dimensions numpy (1.x) cannot hold the input: the runner says so (exit 2), and --verify records
    "not-tried" — before, bench said the runtime failed (exit 6) with numpy's ValueError."""
    from toolkit.model.builder import build_single_op_model

    path = tmp_path / "abs33.tflite"
    path.write_bytes(build_single_op_model("ABS", shapes=[[1] * 32 + [2]]))
    proc = run_cli("bench", path, "-t", "host-x86_64", "--no-store")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("error: input 0 'in0' has rank 33: numpy holds at most 32 dimensions, so this "
                                   "runner cannot feed it (the runtime was not tried)")
    with load_model(path) as model:
        targets = [load_registry().get("cortex-m4")]
        from toolkit.targets.verify import VerifyOptions, verify_report

        verified = verify_report(model, check_model(model, targets), targets, VerifyOptions(emulated=False))
    outcomes = verified.results[0].outcomes
    assert outcomes and {o.outcome for o in outcomes} == {"not-tried"}
    assert verified.results[0].evidence == "static"


def test_check_verify_exits_2_when_no_runtime_could_be_fed_the_model(tmp_path: Path, run_cli) -> None:
    """A CI gating on `check --verify` must not read 'verified OK' when nothing was verified: the runner refusing
    the model's own inputs for every runtime of a target is the runner's bad-input outcome, exit 2
    (docs/EXIT_CODES.md), after the report is printed and written; before, exit 0. Without --verify the
    prediction alone exits 0, as before."""
    from toolkit.model.builder import build_single_op_model

    path = tmp_path / "abs33.tflite"
    path.write_bytes(build_single_op_model("ABS", shapes=[[1] * 32 + [2]]))
    junit = tmp_path / "check.xml"
    proc = run_cli("check", path, "-t", "cortex-m4", "--verify", "--json", "--junit", junit)
    assert proc.returncode == 2, proc.stderr
    [outcome] = json.loads(proc.stdout)["results"][0]["runtime_outcomes"]
    assert (outcome["outcome"], outcome["kind"]) == ("not-tried", "bad-input")
    skipped = ET.parse(junit).getroot().find("testsuite/testcase/skipped")  # written before the exit; no pass
    assert skipped is not None and skipped.get("message").startswith(
        "not verified on cortex-m4 (the verdict is the prediction): input 0 'in0' has rank 33")
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: --verify tried no runtime for cortex-m4: input 0 'in0' has rank 33") and \
           line.endswith("the verdict shown is check's prediction (run check without --verify to gate on the "
                         "prediction alone)")
    text = run_cli("check", path, "-t", "cortex-m4", "--verify")
    assert text.returncode == 2 and "cortex-m4: runs (predicted: no runtime was tried)" in text.stdout
    assert run_cli("check", path, "-t", "cortex-m4").returncode == 0


def test_verify_text_says_the_verdict_is_the_prediction_when_no_runtime_was_tried(tmp_path: Path) -> None:
    """No runtime tried: the verdict is check's prediction, said so — before, the text read "runs, predicted None"."""
    from toolkit.model.builder import build_single_op_model
    from toolkit.report.verify_text import verify_lines
    from toolkit.targets.verify import VerifyOptions, verify_report

    path = tmp_path / "abs33.tflite"
    path.write_bytes(build_single_op_model("ABS", shapes=[[1] * 32 + [2]]))
    with load_model(path) as model:
        targets = [load_registry().get("cortex-m4")]
        verified = verify_report(model, check_model(model, targets), targets, VerifyOptions(emulated=False))
    lines = verify_lines(verified, width=80)
    assert "  cortex-m4: runs (predicted: no runtime was tried)" in lines
    assert not any("None" in line for line in lines) and all(len(line) <= 80 for line in lines)
    doc = verified.to_dict()["results"][0]
    assert doc["evidence"] == "static" and "predicted_verdict" not in doc  # the JSON verdict is the prediction
