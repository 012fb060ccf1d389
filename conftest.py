"""Fixtures shared by tests/ and runtime_tests/: each test gets its own EDGETK_HOME; images are cached once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
# Emulator images and the legacy converter env are expensive: one cache for the whole test session.
SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache"))
# Session- and module-scoped fixtures run before the per-test monkeypatch below: give them the same
# shared cache and a throwaway home, so nothing a test run does lands in the user's own directories.
os.environ["EDGETK_CACHE"] = SHARED_CACHE
os.environ["EDGETK_HOME"] = tempfile.mkdtemp(prefix="edgetk-test-home-")
# A test run started as a background job or under nohup inherits SIGINT / SIGHUP ignored, and every child
# (the CLI, the adb peer's shells) with it: the signal tests would then test the launcher, not edgetk, which
# keeps an ignored signal ignored. Children of this run start with the default actions.
for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) is signal.SIG_IGN:
        signal.signal(_sig, signal.default_int_handler if _sig == signal.SIGINT else signal.SIG_DFL)


@pytest.fixture(autouse=True)
def _edgetk_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("edgetk-home")
    monkeypatch.setenv("EDGETK_HOME", str(home))
    monkeypatch.setenv("EDGETK_CACHE", SHARED_CACHE)
    return home


@pytest.fixture
def run_cli():
    """Run `edgetk ARGS...` as a real child process; returns the CompletedProcess (text mode)."""

    def _run(*args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "toolkit.cli", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd or REPO,
            env=os.environ.copy(),
        )

    return _run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Test tiers: a test that starts `edgetk` as a child process (the ``run_cli`` fixture) is marked ``cli``,
    so `make unit` (-m "not slow and not device and not cli") stays fast; `make test` runs everything."""
    for item in items:
        if "run_cli" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cli)
