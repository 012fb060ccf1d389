"""Pure helpers of the device-side runner (imported as a module; on devices it runs as a script)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.runtimes import runner


def _spec(dtype: str, scales=(), zero_points=(), shape=(2, 64)) -> dict:
    return {"index": 0, "name": "x", "shape": list(shape), "dtype": dtype, "scales": list(scales),
            "zero_points": list(zero_points)}  # fmt: skip


def test_seeded_inputs_are_reproducible_and_in_range() -> None:
    specs = [_spec("float32"), _spec("int8", [0.01], [-3]), _spec("uint8"), _spec("int32"), _spec("bool")]
    a = runner.load_inputs(None, specs, seed=7)
    b = runner.load_inputs(None, specs, seed=7)
    c = runner.load_inputs(None, specs, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert a[0].dtype == np.float32 and -1.0 <= a[0].min() and a[0].max() < 1.0
    # int8 quantized with scale 0.01: reals in [-1, 1) -> q in [-103, 97] after the zero point
    assert a[1].dtype == np.int8 and a[1].min() >= -103 and a[1].max() <= 97
    assert a[2].dtype == np.uint8 and a[2].max() > 200  # across the dtype's range
    assert a[3].min() >= 0 and a[3].max() < 16
    assert a[4].dtype == bool


def test_inputs_from_npz_by_name_or_position(tmp_path) -> None:
    path = tmp_path / "in.npz"
    np.savez(path, x=np.ones((2, 64), np.float32), input_1=np.zeros((1, 3), np.float32))
    specs = [_spec("float32"), dict(_spec("float32", shape=(1, 3)), name="y")]
    x, y = runner.load_inputs(str(path), specs, seed=0)
    assert x.sum() == 128 and y.shape == (1, 3)
    with pytest.raises(runner.RunnerError, match="shape"):
        runner.load_inputs(str(path), [_spec("float32", shape=(3, 3))], seed=0)


def test_arena_report_parsing() -> None:
    text = ("[RecordingMicroAllocator] Arena allocation total 5712 bytes\r\n"
            "[RecordingMicroAllocator] Arena allocation head 3616 bytes\n"
            "[RecordingMicroAllocator] Arena allocation tail 2096 bytes\n")  # fmt: skip
    parsed = runner.parse_arena_report(text)
    assert (parsed["total_bytes"], parsed["head_bytes"], parsed["tail_bytes"]) == (5712, 3616, 2096)


@pytest.mark.parametrize(
    ("message", "kind", "op"),
    [
        ("Didn't find op for builtin opcode 'TOPK_V2' version '1'. An older version...", "missing-kernel", "TOPK_V2"),
        ("TFLM failed: Failed to get registration from op code SELECT", "missing-kernel", "SELECT"),
        ("Encountered unresolved custom op: MyOp.", "missing-kernel", "MyOp"),
        ("tensorflow/lite/kernels/conv.cc:1 bad\nNode number 3 (CONV_2D) failed to prepare.", "invoke-failed", "CONV_2D"),
    ],
)
def test_runtime_errors_name_the_op(message: str, kind: str, op: str) -> None:
    err = runner.classify_runtime_error(RuntimeError(message), "invoke")
    assert (err.kind, err.op) == (kind, op)


def test_latency_stats_order() -> None:
    stats = runner.latency_stats([3.0, 1.0, 2.0, 9.0])
    assert stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    assert stats["runs"] == 4 and stats["mean"] == pytest.approx(3.75)


def test_bad_arguments_give_a_json_error(capsys) -> None:
    assert runner.main(["--model", "/nonexistent.tflite"]) == runner.EXIT_BAD_INPUT
    assert '"kind": "bad-input"' in capsys.readouterr().out
    assert runner.main(["--runs", "3"]) == runner.EXIT_BAD_INPUT
