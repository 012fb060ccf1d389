"""Reliability-suite fixtures: the fuzz seeds (TF-converted once in a child process, cached in the shared cache)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is a top-level package of the checkout, not installed
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def shared_cache() -> Path:
    from conftest import SHARED_CACHE

    return Path(SHARED_CACHE)


@pytest.fixture(scope="session")
def seeds(shared_cache: Path) -> dict[str, bytes]:
    from benchmarks.fuzz_seeds import all_seeds

    return all_seeds(shared_cache)
