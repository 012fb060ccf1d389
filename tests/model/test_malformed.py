"""Malformed input is one MalformedModelError, never an IndexError/struct.error traceback."""

from __future__ import annotations

import json
import os
import random
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from ai_edge_litert import schema_py_generated as schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.errors import ExitCode, MalformedModelError
from toolkit.model import load_model, parse_model
from toolkit.model.cost import estimate_cost


def _root(data: bytes) -> schema.Model:
    return schema.Model.GetRootAs(data, 0)


def _field(obj, voffset: int) -> int:
    """Absolute position of a scalar/offset field of a generated-accessor table (must be present)."""
    offset = obj._tab.Offset(voffset)
    assert offset, "field holds its default, so it is not in the file"
    return obj._tab.Pos + offset


def _vector_len_pos(obj, voffset: int) -> int:
    return obj._tab.Vector(obj._tab.Offset(voffset)) - 4


def _put(data: bytes, pos: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, pos, value)
    return bytes(out)


def _first_op(data: bytes) -> schema.Operator:
    return _root(data).Subgraphs(0).Operators(0)


def _last_op(data: bytes) -> schema.Operator:
    sg = _root(data).Subgraphs(0)
    return sg.Operators(sg.OperatorsLength() - 1)


def _int32_tensor(data: bytes) -> schema.Tensor:
    sg = _root(data).Subgraphs(0)
    return next(
        sg.Tensors(i) for i in range(sg.TensorsLength()) if sg.Tensors(i).Type() == schema.TensorType.INT32
    )


def _signature_output(data: bytes) -> schema.TensorMap:
    return _root(data).SignatureDefs(0).Outputs(0)


def _weights_buffer(data: bytes) -> schema.Buffer:
    model = _root(data)
    return next(model.Buffers(i) for i in range(model.BuffersLength()) if model.Buffers(i).DataLength() > 100)


# (name, corruption, expected words in the message)
CORRUPTIONS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("empty", lambda d: b"", "too short"),
    ("four bytes", lambda d: d[:4], "too short"),
    ("truncated after identifier", lambda d: d[:8], ""),
    ("truncated at 64 bytes", lambda d: d[:64], ""),
    ("truncated at half", lambda d: d[: len(d) // 2], ""),
    ("zero bytes", lambda d: bytes(len(d)), "file identifier"),
    ("random bytes", lambda d: random.Random(1).randbytes(len(d)), "file identifier"),
    ("random bytes with identifier", lambda d: (lambda r: r[:4] + b"TFL3" + r[8:])(random.Random(2).randbytes(4096)), ""),
    ("wrong identifier", lambda d: d[:4] + b"TFL2" + d[8:], "file identifier"),
    ("root offset past the end", lambda d: _put(d, 0, "<I", len(d) + 100), ""),
    ("root offset to the last byte", lambda d: _put(d, 0, "<I", len(d) - 1), ""),
    ("vtable offset negative", lambda d: _put(d, struct.unpack_from("<I", d)[0], "<i", -(1 << 30)), ""),
    ("vtable offset huge", lambda d: _put(d, struct.unpack_from("<I", d)[0], "<i", 1 << 30), ""),
    ("absurd subgraph count", lambda d: _put(d, _vector_len_pos(_root(d), 8), "<I", 0x7FFFFFFF), "runs past the end"),
    ("absurd buffer length", lambda d: _put(d, _vector_len_pos(_weights_buffer(d), 4), "<I", 0x7FFFFFF0), "runs past"),
    ("opcode index out of range", lambda d: _put(d, _field(_last_op(d), 4), "<I", 200), "opcode index 200"),
    ("input tensor out of range", lambda d: _put(d, _vector_len_pos(_first_op(d), 6) + 4, "<i", 9999), "input tensor"),
    ("input tensor below -1", lambda d: _put(d, _vector_len_pos(_first_op(d), 6) + 4, "<i", -5), "input tensor"),
    ("unknown tensor type", lambda d: _put(d, _field(_int32_tensor(d), 6), "<b", 99), "tensor type 99"),
    ("tensor buffer out of range", lambda d: _put(d, _field(_root(d).Subgraphs(0).Tensors(1), 8), "<I", 5000), "buffer index 5000"),
    ("signature tensor out of range", lambda d: _put(d, _field(_signature_output(d), 6), "<I", 700), "signature"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "corrupt", "words"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_corruption_is_a_malformed_model_error(
    conv_model: Path, tmp_path: Path, name, corrupt, words
) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(corrupt(conv_model.read_bytes()))
    with pytest.raises(MalformedModelError) as info:
        load_model(bad)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in str(info.value) and str(bad) in str(info.value)
    assert words in str(info.value)


def test_while_body_index_out_of_range_is_rejected(lstm_model: Path) -> None:
    data = lstm_model.read_bytes()
    loop = next(op for op in (_root(data).Subgraphs(0).Operators(i) for i in range(4)) if op.OpcodeIndex() is not None
                and op.BuiltinOptionsType() == schema.BuiltinOptions.WhileOptions)  # fmt: skip
    table = loop.BuiltinOptions()
    options = schema.WhileOptions()
    options.Init(data, table.Pos)
    bad = _put(data, _field(options, 6), "<i", 3)  # body_subgraph_index: only 0..2 exist
    with pytest.raises(MalformedModelError, match="called subgraph 3 out of range"):
        parse_model(bad, Path("lstm.tflite"))


def test_directory_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(MalformedModelError, match="directory"):
        load_model(tmp_path)
    with pytest.raises(MalformedModelError, match="no such file"):  # was "No such file": now our own wording
        load_model(tmp_path / "missing.tflite")
    locked = tmp_path / "locked.tflite"
    locked.write_bytes(b"\0" * 64)
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads anything; the mode test only means something for other users
        with pytest.raises(MalformedModelError, match="Permission denied"):
            load_model(locked)


def _load_everything(data: bytes) -> None:
    """Succeed or raise MalformedModelError -- anything else fails the property."""
    try:
        model = parse_model(data, Path("fuzzed.tflite"))
    except MalformedModelError:
        return
    json.dumps(model.to_dict())
    cost = estimate_cost(model)
    json.dumps(cost.to_dict())
    model.op_counts()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_byte_flips_never_escape_as_other_errors(lstm_model: Path, data: st.DataObject) -> None:
    raw = bytearray(lstm_model.read_bytes())
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        pos = data.draw(st.integers(0, len(raw) - 1), label="pos")
        raw[pos] = data.draw(st.integers(0, 255), label="byte")
    _load_everything(bytes(raw))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_word_overwrites_never_escape_as_other_errors(conv_model: Path, data: st.DataObject) -> None:
    """Whole 32-bit words hit offsets, lengths and indices far more often than single bytes do."""
    raw = bytearray(conv_model.read_bytes())
    for _ in range(data.draw(st.integers(1, 3), label="words")):
        pos = data.draw(st.integers(0, (len(raw) - 4) // 4), label="word") * 4
        value = data.draw(
            st.sampled_from([0, 1, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000]) | st.integers(0, 2**32 - 1)
        )
        struct.pack_into("<I", raw, pos, value)
    _load_everything(bytes(raw))
