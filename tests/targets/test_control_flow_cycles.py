"""Cyclic control flow (a WHILE/IF/CALL_ONCE whose called subgraphs lead back to a caller, or a WHILE whose
cond and body are one subgraph): `check` says does-not-run on every target, and the runtimes really fail.

The runtime half runs the real device-side runner with LiteRT in child processes: each cyclic seed of the
fuzzer (benchmarks/fuzz_seeds.py) plus a well-typed self-recursive WHILE whose only defect is the cycle (the
"self-body" seed's cond also returns float instead of bool, which LiteRT rejects first).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.fuzz_seeds import CYCLIC_KINDS, cyclic_while_model
from toolkit.model import parse_model
from toolkit.model.builder import ModelBuilder, schema, while_model
from toolkit.model.cost import estimate_cost
from toolkit.targets import check_model, load_registry
from toolkit.targets.arena import estimate_arena_bytes
from toolkit.targets.rules import control_flow_cycles

RUNNER = Path(__file__).resolve().parents[2] / "toolkit" / "runtimes" / "runner.py"
CYCLE_RULES = {"control_flow_cycle", "while_cond_is_body"}


def typed_self_body_model() -> bytes:
    """WHILE (i < 3) { i += 1; WHILE(cond, body)(i, x) }: valid types, but the body runs itself."""
    s = schema()
    b = ModelBuilder(description="edgetk typed self-body")
    cond, body = b.new_subgraph("cond"), b.new_subgraph("body")
    opts = s.WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = cond, body
    i0, x0 = b.add_tensor([1], "int32", name="i"), b.add_tensor([1, 4], name="x")
    i1, x1 = b.add_tensor([1], "int32"), b.add_tensor([1, 4])
    b.add_op("WHILE", [i0, x0], [i1, x1], options=opts)
    b.set_io([i0, x0], [i1, x1])
    ci, cx = b.add_tensor([1], "int32", subgraph=cond), b.add_tensor([1, 4], subgraph=cond)
    n = b.add_tensor([1], "int32", data=np.array([3], np.int32), subgraph=cond)
    flag = b.add_tensor([1], "bool", subgraph=cond)
    b.add_op("LESS", [ci, n], [flag], options=s.LessOptionsT(), subgraph=cond)
    b.set_io([ci, cx], [flag], subgraph=cond)
    bi, bx = b.add_tensor([1], "int32", subgraph=body), b.add_tensor([1, 4], subgraph=body)
    one = b.add_tensor([1], "int32", data=np.array([1], np.int32), subgraph=body)
    bi2 = b.add_tensor([1], "int32", subgraph=body)
    bi3, bx3 = b.add_tensor([1], "int32", subgraph=body), b.add_tensor([1, 4], subgraph=body)
    b.add_op("ADD", [bi, one], [bi2], options=s.AddOptionsT(), subgraph=body)
    b.add_op("WHILE", [bi2, bx], [bi3, bx3], options=opts, subgraph=body)
    b.set_io([bi, bx], [bi3, bx3], subgraph=body)
    return b.build()


def ring_model(length: int) -> bytes:
    """Subgraph k runs a WHILE over subgraph k+1 (cond and body), the last one over subgraph 1: one long cycle
    that a recursive walk would need ``length`` Python frames for."""
    s = schema()
    b = ModelBuilder(description="edgetk ring")
    subgraphs = [b.new_subgraph(f"sg{k}") for k in range(1, length + 1)]
    for k in [0, *subgraphs]:
        callee = 1 if k == length else k + 1
        opts = s.WhileOptionsT()
        opts.condSubgraphIndex, opts.bodySubgraphIndex = callee, callee
        x, y = b.add_tensor([1, 4], subgraph=k), b.add_tensor([1, 4], subgraph=k)
        b.add_op("WHILE", [x], [y], options=opts, subgraph=k)
        b.set_io([x], [y], subgraph=k)
    return b.build()


@pytest.fixture(scope="module")
def targets() -> list:
    return load_registry().all()


@pytest.mark.parametrize("kind", CYCLIC_KINDS)
def test_cyclic_graphs_do_not_run_on_any_target(kind: str, targets: list) -> None:
    model = parse_model(cyclic_while_model(kind), Path(f"{kind}.tflite"))
    report = check_model(model, targets)
    assert len(report.results) == len(targets) >= 5
    for result in report.results:
        rules = {f.rule for f in result.errors}
        assert result.verdict == "does-not-run" and rules <= CYCLE_RULES and rules, (result.target, rules)


def test_cycle_findings_name_the_op_and_the_cycle(targets: list) -> None:
    target = next(t for t in targets if t.name == "host-x86_64")
    mutual = check_model(parse_model(cyclic_while_model("mutual"), Path("m.tflite")), [target]).results[0]
    cycles = sorted(f.message.split("call cycle ")[1].split(":")[0] for f in mutual.errors)
    assert cycles == ["1 -> 1", "1 -> 2 -> 1", "2 -> 2"]  # cond and body each run WHILE(body, cond)
    first = next(f for f in mutual.errors if "1 -> 2 -> 1" in f.message)
    assert (first.op, first.subgraph, first.op_index) == ("WHILE", 2, 0)
    assert first.message.startswith("WHILE in subgraph 2 calls subgraph 1, closing the call cycle 1 -> 2 -> 1")
    same = check_model(parse_model(cyclic_while_model("cond-is-body"), Path("c.tflite")), [target]).results[0]
    assert [f.rule for f in same.errors] == ["while_cond_is_body"]
    assert "uses subgraph 2 as both its condition and its body" in same.errors[0].message


def test_acyclic_control_flow_still_runs(targets: list) -> None:
    model = parse_model(while_model(), Path("w.tflite"))
    assert control_flow_cycles(model) == []
    for result in check_model(model, targets).results:
        assert result.verdict != "does-not-run" and not {f.rule for f in result.findings} & CYCLE_RULES


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_a_two_thousand_subgraph_ring_is_found_without_recursion(targets: list) -> None:
    model = parse_model(ring_model(2000), Path("ring.tflite"))
    [(op, cycle)] = control_flow_cycles(model)
    assert (op.subgraph, cycle[0], cycle[-1], len(cycle)) == (2000, 1, 1, 2001)
    assert estimate_cost(model).has_loops and estimate_arena_bytes(model) >= 32
    assert check_model(model, targets[:1]).results[0].verdict == "does-not-run"


def _run_litert(model: Path) -> tuple[str, str]:
    """How LiteRT (in the runner, a child process) ends on ``model``: ("signal", name) | ("error", message)
    | ("hang", "") | ("ok", "")."""
    argv = [sys.executable, str(RUNNER), "--model", str(model), "--runtime", "litert", "--runs", "1",
            "--warmup", "0"]  # fmt: skip
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2"})  # fmt: skip
    except subprocess.TimeoutExpired:
        return "hang", ""
    if proc.returncode < 0:
        return "signal", f"SIG{-proc.returncode}"
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    error = json.loads(lines[-1]).get("error") if lines else {"message": proc.stderr[-300:]}
    return ("error", error.get("message", "")) if error else ("ok", "")


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_litert_really_fails_on_every_cyclic_graph(tmp_path: Path) -> None:
    models = {kind: cyclic_while_model(kind) for kind in CYCLIC_KINDS}
    models["typed-self-body"] = typed_self_body_model()
    outcomes = {}
    for kind, data in models.items():
        path = tmp_path / f"{kind}.tflite"
        path.write_bytes(data)
        outcomes[kind] = _run_litert(path)
    assert all(status != "ok" for status, _ in outcomes.values()), outcomes
    assert outcomes["typed-self-body"] == ("signal", "SIG11")  # the cycle alone: stack overflow
    assert outcomes["mutual"] == ("signal", "SIG11")
    for kind in ("cond-is-body", "main-calls-main"):
        assert outcomes[kind][0] == "error" and "cond_subgraph_index != op_data->body_subgraph_index" in outcomes[kind][1]
    typed = check_model(parse_model(models["typed-self-body"], Path("t.tflite")), load_registry().all())
    assert {r.verdict for r in typed.results} == {"does-not-run"}
