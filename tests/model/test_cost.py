"""The cost model against hand-computed numbers for the converter-made fixtures."""

from __future__ import annotations

from pathlib import Path

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


def test_lstm_body_is_counted_once_and_flagged(lstm_model: Path) -> None:
    with load_model(lstm_model) as model:
        cost = estimate_cost(model)
    body = [op for op in cost.ops if op.subgraph == 2]
    cond = [op for op in cost.ops if op.subgraph == 1]
    assert body and all(op.loop_body for op in body) and all(op.loop_body for op in cond)
    assert not any(op.loop_body for op in cost.ops if op.subgraph == 0)
    assert cost.has_loops
    # input kernel 3 -> 16 gates, recurrent kernel 4 -> 16 gates (one step), dense 4 -> 2
    assert sorted(op.macs for op in body if op.macs) == [3 * 16, 4 * 16]
    assert cost.total_macs == 3 * 16 + 4 * 16 + 4 * 2
    logistic = next(op for op in body if op.name == "LOGISTIC")
    assert logistic.flops == 4


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
