"""Bench-area fixtures: the MLPerf Tiny calibration models and a tiny conv net, converted once and cached."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is a top-level package of the checkout, not installed
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def tiny_models() -> dict[str, Path]:
    """MLPerf Tiny v0.5 architectures + tiny conv nets (TF conversion in a child process, cached)."""
    from benchmarks.mlperf_tiny_models import ensure_models

    return ensure_models()
