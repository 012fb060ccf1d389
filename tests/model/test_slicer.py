"""The isolated-op slicer on third-party models: each slice is the op with its real tensors and weights."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from toolkit.model import load_model
from toolkit.model.builder import resource_variable_model, while_model
from toolkit.model.slicer import slice_ops

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _corpus(name: str) -> Path:
    from benchmarks.corpus import corpus_model

    return corpus_model(name)


def _load(tmp_path: Path, data: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    return load_model(path)


@pytest.mark.parametrize("name", ["mediapipe/hand_recrop.tflite", "pymicro_wakeword/alexa.tflite"])
def test_every_slice_is_the_op_with_its_real_tensors_and_weights(tmp_path: Path, name: str) -> None:
    whole = load_model(_corpus(name))
    sg = whole.main_subgraph
    slices = list(slice_ops(whole.path))
    assert [s.index for s in slices] == list(range(len(sg.operators)))
    for piece in slices:
        op = sg.operators[piece.index]
        assert piece.op.startswith(op.name.split("(")[0][:6])
        if piece.data is None:
            continue
        part = _load(tmp_path, piece.data, f"op{piece.index}.tflite")
        (only,) = part.main_subgraph.operators
        assert only.name == op.name and only.version == op.version
        orig = [sg.tensors[i] for i in op.inputs if i >= 0]
        new = [part.main_subgraph.tensors[i] for i in only.inputs if i >= 0]
        assert [(t.dtype, t.shape) for t in new] == [(t.dtype, t.shape) for t in orig]
        assert [t.quantization for t in new] == [t.quantization for t in orig]  # per-channel scales too
        for a, b in zip(orig, new, strict=True):
            assert a.is_constant == b.is_constant
            if a.is_constant:
                assert bytes(part.buffer_data(b.buffer_index)) == bytes(whole.buffer_data(a.buffer_index))
        graph_inputs = {part.main_subgraph.tensors[i].name for i in part.main_subgraph.inputs}
        assert graph_inputs == {t.name for t in orig if not t.is_constant and not t.is_variable}


def test_stateful_ops_are_skipped_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "var.tflite"
    path.write_bytes(resource_variable_model())
    skipped = {s.op: s.skipped for s in slice_ops(path) if s.data is None}
    assert set(skipped) >= {"VAR_HANDLE", "READ_VARIABLE"}
    assert all("stateful" in why for why in skipped.values())


def test_a_while_slice_keeps_its_cond_and_body(tmp_path: Path) -> None:
    path = tmp_path / "while.tflite"
    path.write_bytes(while_model(3))
    (piece,) = slice_ops(path)
    assert piece.op == "WHILE" and piece.with_subgraphs
    part = _load(tmp_path, piece.data, "w.tflite")
    assert [len(sg.operators) for sg in part.subgraphs] == [1, 1, 2]
    assert [op.name for op in part.subgraphs[2].operators] == ["ADD", "MUL"]


def test_float16_weights_reach_their_op_as_the_float32_constant_they_are_at_run_time(tmp_path: Path) -> None:
    """MediaPipe stores weights as float16 + DEQUANTIZE: the DEQUANTIZE is skipped (computed once, not per
    run) and the consuming op's slice holds the dequantized weights, as static weights its kernel requires."""
    import numpy as np

    whole = load_model(_corpus("mediapipe/selfie_segmentation.tflite"))
    sg = whole.main_subgraph
    slices = {s.index: s for s in slice_ops(whole.path)}
    deq = [s for s in slices.values() if s.op == "DEQUANTIZE"]
    assert deq and all(s.data is None and "computes it once" in s.skipped for s in deq)
    index = next(i for i, op in enumerate(sg.operators) if op.is_custom)
    op = sg.operators[index]
    weights = next(i for i in op.inputs if i >= 0 and not sg.tensors[i].is_constant and any(
        p.name == "DEQUANTIZE" and i in p.outputs for p in sg.operators))
    producer = next(p for p in sg.operators if weights in p.outputs)
    fp16 = np.frombuffer(bytes(whole.buffer_data(sg.tensors[producer.inputs[0]].buffer_index)), np.float16)
    part = _load(tmp_path, slices[index].data, "custom.tflite")
    (only,) = part.main_subgraph.operators
    slot = list(op.inputs).index(weights)
    got = part.main_subgraph.tensors[only.inputs[slot]]
    assert got.is_constant and got.dtype == "float32"
    assert np.array_equal(np.frombuffer(bytes(part.buffer_data(got.buffer_index)), np.float32), fp16.astype(np.float32))


def test_a_converted_lstm_loop_has_a_static_trip_count_and_while_model_says_why_not(tmp_path: Path) -> None:
    """The Keras LSTM in loop form (benchmarks/evidence_cases.py, converted by edgetk itself): its cond is
    LESS(iter, 6) AND LESS(time, 6) with both counters starting at constant 0 and the body adding 1."""
    from benchmarks.evidence_cases import T, ensure_cases
    from toolkit.model.builder import schema
    from toolkit.model.trip_count import static_trip_count

    for name in ("lstm_loop", "gru_reset_after"):
        m = schema().ModelT.InitFromPackedBuf(ensure_cases(name)[name].read_bytes(), 0)
        (loop,) = [op for op in m.subgraphs[0].operators if hasattr(op.builtinOptions, "bodySubgraphIndex")]
        trips, how = static_trip_count(m, m.subgraphs[0], loop)
        assert trips == T == 6 and "from 0 while < 6 step 1" in how
    m = schema().ModelT.InitFromPackedBuf(while_model(3), 0)
    assert static_trip_count(m, m.subgraphs[0], m.subgraphs[0].operators[0]) == (
        None, "loop variable 0 does not start at a constant")  # i is a model input here


def test_body_ops_are_sliced_with_their_real_tensors_and_the_counter_frozen_at_its_start(tmp_path: Path) -> None:
    import numpy as np

    from benchmarks.evidence_cases import ensure_cases
    from toolkit.model.slicer import slice_bodies

    path = ensure_cases("lstm_loop")["lstm_loop"]
    whole = load_model(path)
    bodies = {b.role: b for b in slice_bodies(path)}
    assert set(bodies) == {"cond", "body"} and bodies["body"].runs_per_invoke == 6
    assert bodies["cond"].runs_per_invoke == 7 and bodies["body"].label == "WHILE#1 body"
    body = bodies["body"]
    sg = whole.subgraphs[body.subgraph]
    assert [s.index for s in body.slices] == list(range(len(sg.operators)))
    for piece in body.slices:
        op = sg.operators[piece.index]
        part = _load(tmp_path, piece.data, f"b{piece.index}.tflite")
        (only,) = part.main_subgraph.operators
        assert (only.name, only.version) == (op.name, op.version) and piece.subgraph == body.subgraph
        orig = [sg.tensors[i] for i in op.inputs if i >= 0]
        new = [part.main_subgraph.tensors[i] for i in only.inputs if i >= 0]
        assert [(t.dtype, t.shape) for t in new] == [(t.dtype, t.shape) for t in orig]
        if op.name == "GATHER":  # GATHER(sequence, time step): the step is the constant 0 it starts at
            step = new[1]
            assert step.is_constant and not orig[1].is_constant
            assert np.frombuffer(bytes(part.buffer_data(step.buffer_index)), np.int32).tolist() == [0]
            assert not new[0].is_constant  # the sequence stays an input
