"""The cost model against hand-computed numbers for the converter-made fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fuzz_seeds import CYCLIC_KINDS, cyclic_while_model
from toolkit.model import load_model, parse_model
from toolkit.model.cost import estimate_cost


def test_conv_net_macs_equal_the_hand_computed_numbers(conv_model: Path) -> None:
    with load_model(conv_model) as model:
        cost = estimate_cost(model)
    macs = {op.name: op.macs for op in cost.ops}
    assert macs["CONV_2D"] == 8 * 8 * 4 * (3 * 3 * 3)  # 'same' 3x3, 3 -> 4 channels on 8x8
    assert macs["DEPTHWISE_CONV_2D"] == 6 * 6 * 4 * (3 * 3)  # 'valid' 3x3 -> 6x6x4
    assert macs["FULLY_CONNECTED"] == 144 * 5
    assert macs["RESHAPE"] == 0
    assert cost.total_macs == 6912 + 1296 + 720
    assert cost.total_flops == 2 * cost.total_macs
    assert not cost.has_loops
    assert {op.dtype for op in cost.ops} == {"float32"}


def test_conv_bytes_moved_counts_input_weights_bias_and_output(conv_model: Path) -> None:
    with load_model(conv_model) as model:
        conv = estimate_cost(model).ops[0]
    assert conv.name == "CONV_2D"
    # input 1x8x8x3, filter 4x3x3x3, bias 4, output 1x8x8x4 -- all float32
    assert conv.bytes_moved == 4 * (8 * 8 * 3 + 4 * 3 * 3 * 3 + 4 + 8 * 8 * 4)
    assert conv.weight_bytes == 4 * (4 * 3 * 3 * 3 + 4)


def test_lstm_body_is_multiplied_by_the_static_trip_count(lstm_model: Path) -> None:
    with load_model(lstm_model) as model:
        cost = estimate_cost(model)
    body = [op for op in cost.ops if op.subgraph == 2]
    cond = [op for op in cost.ops if op.subgraph == 1]
    assert body and all(op.loop_body for op in body) and all(op.loop_body for op in cond)
    assert not any(op.loop_body for op in cost.ops if op.subgraph == 0)
    assert cost.has_loops and not cost.unknown_trip_counts
    # 5 time steps: the body runs 5 times, the cond once more to stop the loop
    assert {op.trip_count for op in body} == {5} and {op.trip_count for op in cond} == {6}
    assert {op.trip_count for op in cost.ops if op.subgraph == 0} == {1}
    # per step: input kernel 3 -> 16 gates, recurrent kernel 4 -> 16 gates; then dense 4 -> 2 once
    assert sorted(op.macs for op in body if op.macs) == [5 * 3 * 16, 5 * 4 * 16]
    assert cost.total_macs == 5 * (3 * 16 + 4 * 16) + 4 * 2
    logistic = next(op for op in body if op.name == "LOGISTIC")
    assert logistic.flops == 5 * 4


def test_loop_lstm_macs_equal_the_fused_lstm_macs(lstm_model: Path, fused_lstm_model: Path) -> None:
    """The same LSTM (5 steps, 3 -> 4 units, dense 2) as a WHILE loop and as the fused op costs the same."""
    with load_model(lstm_model) as loop, load_model(fused_lstm_model) as fused:
        loop_macs, fused_macs = estimate_cost(loop).total_macs, estimate_cost(fused).total_macs
    assert fused_macs == 5 * (4 * 4 * 3 + 4 * 4 * 4) + 4 * 2
    assert abs(loop_macs - fused_macs) <= 0.03 * fused_macs


def test_tf_while_loops_nested_unknown_and_maximum_iterations(while_loops_model: Path) -> None:
    with load_model(while_loops_model) as model:
        cost = estimate_cost(model)
    matmuls = sorted((op.trip_count or 0, op.macs) for op in cost.ops if op.name == "FULLY_CONNECTED")
    # data-dependent bound: unknown, counted once; maximum_iterations=6 beats the bound 10; 3 x 4 nested
    assert matmuls == [(0, 64), (6, 6 * 64), (12, 12 * 64)]
    unknown = next(op for op in cost.ops if op.name == "FULLY_CONNECTED" and op.trip_count is None)
    assert unknown.loop_body and cost.unknown_trip_counts
    assert cost.total_macs == 64 + 6 * 64 + 12 * 64
    outer_while = [op for op in cost.ops if op.name == "WHILE" and op.subgraph != 0]
    assert [op.trip_count for op in outer_while] == [3]  # the inner WHILE op runs once per outer step


def _counted_loop(compare: str, start: int, bound: int, step: int, *, mirrored: bool = False,
                  bound_as_loop_var: bool = False) -> bytes:
    """WHILE (i COMPARE bound) { i += step; x = FC(x) } built by hand: the rule without TensorFlow."""
    import numpy as np

    from toolkit.model.builder import ModelBuilder, schema

    s = schema()
    b = ModelBuilder(description="edgetk counted loop")
    cond, body = b.new_subgraph("cond"), b.new_subgraph("body")

    def const(value: int, sg: int) -> int:
        return b.add_tensor([], "int32", data=np.array(value, np.int32), subgraph=sg)

    x, y = b.add_tensor([1, 4], name="x"), b.add_tensor([1, 4], name="y")
    i_out, n_out = b.add_tensor([], "int32"), b.add_tensor([], "int32")
    opts = s.WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = cond, body
    b.add_op("WHILE", [const(start, 0), const(bound, 0), x], [i_out, n_out, y], options=opts)
    b.set_io([x], [y])

    ci, cn, cx = (b.add_tensor([], "int32", subgraph=cond), b.add_tensor([], "int32", subgraph=cond),
                  b.add_tensor([1, 4], subgraph=cond))  # fmt: skip
    limit = cn if bound_as_loop_var else const(bound, cond)
    flag = b.add_tensor([], "bool", subgraph=cond)
    b.add_op(compare, [limit, ci] if mirrored else [ci, limit], [flag], subgraph=cond)
    b.set_io([ci, cn, cx], [flag], subgraph=cond)

    bi, bn, bx = (b.add_tensor([], "int32", subgraph=body), b.add_tensor([], "int32", subgraph=body),
                  b.add_tensor([1, 4], subgraph=body))  # fmt: skip
    w = b.add_tensor([4, 4], data=np.ones((4, 4), np.float32), subgraph=body)
    bi2, bx2 = b.add_tensor([], "int32", subgraph=body), b.add_tensor([1, 4], subgraph=body)
    b.add_op("ADD", [bi, const(step, body)], [bi2], options=s.AddOptionsT(), subgraph=body)
    b.add_op("FULLY_CONNECTED", [bx, w, -1], [bx2], options=s.FullyConnectedOptionsT(), subgraph=body)
    b.set_io([bi, bn, bx], [bi2, bn, bx2], subgraph=body)
    return b.build()


@pytest.mark.parametrize(
    ("compare", "start", "bound", "step", "mirrored", "expected"),
    [("LESS", 0, 10, 1, False, 10), ("LESS", 2, 10, 3, False, 3), ("LESS_EQUAL", 0, 10, 2, False, 6),
     ("GREATER", 0, 7, 1, True, 7), ("GREATER_EQUAL", 1, 7, 1, True, 7), ("LESS", 5, 3, 1, False, 0)],
)  # fmt: skip
def test_trip_count_rules(compare: str, start: int, bound: int, step: int, mirrored: bool, expected: int) -> None:
    model = parse_model(_counted_loop(compare, start, bound, step, mirrored=mirrored), Path("loop.tflite"))
    fc = next(op for op in estimate_cost(model).ops if op.name == "FULLY_CONNECTED")
    assert (fc.trip_count, fc.macs) == (expected, expected * 16)


def test_a_bound_passed_in_as_an_unchanged_loop_variable_is_static() -> None:
    model = parse_model(_counted_loop("LESS", 0, 9, 1, bound_as_loop_var=True), Path("loop.tflite"))
    assert next(op.trip_count for op in estimate_cost(model).ops if op.name == "FULLY_CONNECTED") == 9


@pytest.mark.parametrize("kind", CYCLIC_KINDS)
def test_cyclic_while_graphs_terminate_with_finite_costs(kind: str) -> None:
    model = parse_model(cyclic_while_model(kind), Path(f"{kind}.tflite"))
    cost = estimate_cost(model)
    assert cost.has_loops and cost.unknown_trip_counts  # the RELU-conditioned loops have no static count
    assert all(op.trip_count is None or op.trip_count >= 0 for op in cost.ops)
    assert cost.total_flops <= 4 * len(cost.ops)  # every op is a [1, 4] RELU or WHILE, counted once


def test_compute_dtype_is_the_first_inputs(synthetic_model_bytes: bytes) -> None:
    model = parse_model(synthetic_model_bytes, Path("synthetic.tflite"))
    gelu = estimate_cost(model).ops[0]
    assert gelu.dtype == "float32"
    assert gelu.flops == 4  # elementwise: one per output element of [1, 4]


def test_fused_lstm_macs_are_steps_times_gate_matrices(fused_lstm_model: Path) -> None:
    with load_model(fused_lstm_model) as model:
        assert model.op_counts()["UNIDIRECTIONAL_SEQUENCE_LSTM"] == 1
        cost = estimate_cost(model)
    lstm = next(op for op in cost.ops if op.name == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    # 5 time steps x (4 input kernels 4x3 + 4 recurrent kernels 4x4), batch 1
    assert lstm.macs == 5 * (4 * 4 * 3 + 4 * 4 * 4)
    assert not lstm.loop_body
