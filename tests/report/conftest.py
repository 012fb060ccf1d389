"""Small real .tflite models for the report tests, written with toolkit.model.builder (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _model(path: Path, op: str, *, description: str = "MLIR Converted.", add_const: float | None = None) -> Path:
    """x[1,8] -> op -> y; with ``add_const`` the op is ADD(x, const) so outputs shift by exactly that much."""
    from toolkit.model.builder import ModelBuilder

    b = ModelBuilder(description=description)
    x = b.add_tensor([1, 8], name="x")
    y = b.add_tensor([1, 8], name="y")
    if add_const is None:
        b.add_op(op, [x], [y])
    else:
        c = b.add_tensor([1, 8], name="c", data=np.full([1, 8], add_const, np.float32))
        b.add_op("ADD", [x, c], [y])
    b.set_io([x], [y])
    path.write_bytes(b.build())
    return path


@pytest.fixture
def make_model(tmp_path: Path):
    def _make(name: str, op: str = "RELU", **kw) -> Path:
        return _model(tmp_path / name, op, **kw)

    return _make
