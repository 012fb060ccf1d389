"""Mutated real models through the library (hundreds of cases) and a sample through the real CLI.

The long run is `make fuzz` (10,000 cases, figures in docs/RELIABILITY.md); this is its quick form, with the
same code (benchmarks/fuzz.py), so a regression in the reader, cost model or check shows up in `make test`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks.fuzz import DOCUMENTED_EXIT_CODES, cli_contract_problem, fuzz
from benchmarks.fuzz_mutators import MUTATORS, map_seed, mutate
from benchmarks.fuzz_seeds import CYCLIC_KINDS
from toolkit.model import parse_model
from toolkit.model.cost import estimate_cost
from toolkit.targets import check_model, load_registry
from toolkit.targets.arena import estimate_arena_bytes


def test_seeds_are_real_valid_models_with_control_flow(seeds: dict[str, bytes]) -> None:
    lstm = parse_model(seeds["tf-lstm-while"], Path("lstm.tflite"))
    assert len(lstm.subgraphs) == 3 and "WHILE" in lstm.op_counts()
    conv = parse_model(seeds["tf-conv"], Path("conv.tflite"))
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(conv.op_counts())
    assert map_seed(seeds["tf-lstm-while"]).subgraph_refs  # the cyclic mutators have WHILE fields to aim at


def test_six_hundred_mutations_give_no_crash_and_no_hang(seeds: dict[str, bytes], shared_cache: Path,
                                                         tmp_path: Path) -> None:  # fmt: skip
    report = fuzz(600, seed=11, cli_every=0, cache=shared_cache, workdir=tmp_path)
    assert report.failures == [] and report.crashes == 0
    assert report.status["accepted"] > 20 and report.status["rejected"] > 300  # both paths really exercised
    assert set(report.exit_codes) <= {0, 1, 2}
    assert set(report.by_mutation) == set(MUTATORS)


def test_cyclic_control_flow_terminates_in_cost_arena_and_check(seeds: dict[str, bytes]) -> None:
    targets = load_registry().all()
    for kind in CYCLIC_KINDS:
        model = parse_model(seeds[f"cyclic-{kind}"], Path(f"{kind}.tflite"))
        cost = estimate_cost(model)
        assert cost.has_loops and len(cost.ops) == sum(len(sg.operators) for sg in model.subgraphs)
        assert estimate_arena_bytes(model) >= 32  # two live [1,4] float32 tensors at least
        assert len(check_model(model, targets).results) == len(targets)


def test_cyclic_rewrites_of_the_converted_lstm_terminate(seeds: dict[str, bytes]) -> None:
    """WHILE cond/body indices of the real LSTM rewritten to every combination of valid subgraphs."""
    data, seed_map, rng = seeds["tf-lstm-while"], map_seed(seeds["tf-lstm-while"]), random.Random(5)
    targets = load_registry().all()
    loaded = 0
    for _ in range(40):
        buf = bytearray(data)
        MUTATORS["cyclic-subgraph-ref"](buf, rng, seed_map)
        model = parse_model(bytes(buf), Path("cyclic.tflite"))
        json.dumps(estimate_cost(model).to_dict())
        json.dumps(check_model(model, targets).to_dict())
        loaded += 1
    assert loaded == 40


def test_mutations_are_deterministic_per_seed(seeds: dict[str, bytes]) -> None:
    seed_map = map_seed(seeds["tf-conv"])
    first = [mutate(seeds["tf-conv"], seed_map, random.Random(3)) for _ in range(3)]
    again = [mutate(seeds["tf-conv"], seed_map, random.Random(3)) for _ in range(3)]
    assert first == again and first[0][0] != seeds["tf-conv"]


@pytest.mark.parametrize(
    ("code", "stdout", "stderr", "problem"),
    [
        (2, "", "error: x.tflite: not a valid .tflite model (truncated)\n", None),
        (1, "table", "", None),
        (2, "", "error: one\nerror: two\n", "exactly one"),
        (2, "", "Traceback (most recent call last):\n", "traceback"),
        (70, "", "error: internal error (KeyError); details in /x.log\n", "undocumented exit code 70"),
        (6, "", "usage: something\n", "exactly one"),
    ],
)
def test_cli_contract_judge(code: int, stdout: str, stderr: str, problem: str | None) -> None:
    found = cli_contract_problem(code, stdout, stderr)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_cli_sample_keeps_the_exit_code_contract(seeds: dict[str, bytes], shared_cache: Path, tmp_path: Path) -> None:
    """About a dozen real `edgetk inspect / check / bench` children on mutated models."""
    report = fuzz(150, seed=2, cli_every=15, jobs=2, cache=shared_cache, workdir=tmp_path)
    assert len(report.cli) >= 10
    assert [c for c in report.cli if c.problem] == []
    assert {c.returncode for c in report.cli} <= DOCUMENTED_EXIT_CODES
    assert 2 in {c.returncode for c in report.cli}  # malformed models really reached the CLI


def test_shape_with_2_pow_63_elements_is_malformed_not_an_internal_error(tmp_path: Path, run_cli) -> None:
    """Found by the fuzzer: a mutated shape vector of rank 1024 made a 4,300-digit MAC count that JSON
    could not encode (`inspect --json` exited 70). No runtime can allocate such a tensor: exit 2."""
    from toolkit.model.builder import ModelBuilder

    b = ModelBuilder()
    x, y = b.add_tensor([2**31 - 1] * 3, name="x"), b.add_tensor([2**31 - 1] * 3, name="y")
    b.add_op("RELU", [x], [y])
    b.set_io([x], [y])
    path = tmp_path / "huge.tflite"
    path.write_bytes(b.build())
    proc = run_cli("inspect", path, "--json")
    assert proc.returncode == 2 and cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None
    assert "tensor 0: shape of rank 3 has 2**63 or more elements" in proc.stderr
