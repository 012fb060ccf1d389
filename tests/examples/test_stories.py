"""The runnable stories in examples/ work end to end: each asserts its own outcome and prints "story: OK".

The LSTM story's conversions (MLIR both ways + the TOCO attempt) are cached under $EDGETK_CACHE keyed by the
model and edgetk's conversion code, so a rerun spends its time on compare/bench/report, not on TensorFlow.
The legacy (TOCO) environment is created once in the shared cache, as in runtime_tests/test_legacy.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(REPO / ".venv" / "edgetk-cache"))
CACHED = ("lstm_loop.tflite", "lstm_fused.tflite", "convert_loop.json", "convert_fused.json", "toco.json")


def _story(script: str, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=900, env=env or os.environ.copy())
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def _lstm_cache() -> Path:
    digest = hashlib.sha256((EXAMPLES / "lstm_story" / "model.py").read_bytes())
    for path in sorted((REPO / "toolkit" / "convert").glob("*.py")):
        digest.update(path.read_bytes())
    return Path(os.environ["EDGETK_CACHE"]) / "test-models" / f"lstm-story-{digest.hexdigest()[:16]}"


def _restore(out: Path) -> None:
    cache = _lstm_cache()
    for name in CACHED:
        if (cache / name).exists():
            shutil.copy2(cache / name, out / name)


@pytest.fixture(scope="session")
def legacy_env() -> Path:
    from toolkit.convert.legacy import setup_legacy_env

    with pytest.MonkeyPatch.context() as mp:  # session scope: the autouse per-test fixture is not active yet
        mp.setenv("EDGETK_CACHE", SHARED_CACHE)
        return setup_legacy_env()


def test_lstm_story(legacy_env: Path, tmp_path: Path) -> None:
    _restore(tmp_path)
    proc = _story("lstm_story/run.py", "--out", tmp_path, "--reuse", "--require-legacy", "--rounds", "3",
                  "--runs", "5")
    assert proc.returncode == 0 and "story: OK" in proc.stdout
    cache = _lstm_cache()
    cache.mkdir(parents=True, exist_ok=True)
    for name in CACHED:
        shutil.copy2(tmp_path / name, cache / name)

    toco = json.loads((tmp_path / "compare_fused_vs_toco.json").read_text())
    assert toco["old"] is None and toco["new"]["op_counts"]["UNIDIRECTIONAL_SEQUENCE_LSTM"] == 1
    assert {"TensorListReserve", "TensorListStack"} <= set(toco["old_failure"]["ops"])
    forms = json.loads((tmp_path / "compare_fused_vs_loop.json").read_text())
    assert [t["target"] for t in forms["targets"]] == ["host-x86_64", "rpi4-arm64", "cortex-m4"]
    assert "WHILE" in forms["ops"]["removed"] and forms["ops"]["added"] == ["UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert forms["numerics"]["max_abs_vs_old"] < 1e-5
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg") >= 2 and "http://" not in page and "https://" not in page

    # The CI example's committed baseline is what this story's fused conversion produces (the workflow passes).
    gate = subprocess.run(["bash", str(EXAMPLES / "ci" / "gate.sh"), "--no-bench", "--out", str(tmp_path / "gate"),
                           str(tmp_path / "lstm_fused.tflite"), str(EXAMPLES / "ci" / "baseline" / "lstm_fused.tflite")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, env=_path_env())
    assert gate.returncode == 0, gate.stdout[-2000:] + gate.stderr[-2000:]


def test_lstm_story_says_how_to_get_the_old_converter(tmp_path: Path) -> None:
    """With no legacy env in the cache: --require-legacy stops with the setup command, before any conversion."""
    env = {**os.environ, "EDGETK_CACHE": str(tmp_path / "empty-cache")}
    proc = _story("lstm_story/run.py", "--out", tmp_path / "out", "--require-legacy", env=env)
    assert proc.returncode == 1
    assert "edgetk legacy setup" in proc.stderr and not (tmp_path / "out" / "lstm_loop.tflite").exists()


def test_lstm_story_continues_without_the_old_converter(tmp_path: Path) -> None:
    """No legacy env (the emulator images are shared): the story skips TOCO, says how to set it up, still ends OK."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "emulator").symlink_to(Path(os.environ["EDGETK_CACHE"]) / "emulator")
    out = tmp_path / "out"
    out.mkdir()
    _restore(out)
    proc = _story("lstm_story/run.py", "--out", out, "--reuse", "--rounds", "2", "--runs", "3",
                  env={**os.environ, "EDGETK_CACHE": str(cache)})
    assert proc.returncode == 0 and "story: OK" in proc.stdout
    assert "edgetk legacy setup" in proc.stdout and "not tried (no legacy env)" in proc.stdout
    assert not (out / "compare_fused_vs_toco.json").exists() and (out / "report.html").exists()


def test_control_flow_story(tmp_path: Path) -> None:
    proc = _story("control_flow/run.py", "--out", tmp_path, "--runs", "5")
    assert proc.returncode == 0 and "story: OK" in proc.stdout
    decoder = json.loads((tmp_path / "convert_build.json").read_text())
    assert {"WHILE", "IF"} <= set(decoder["ops"]) and decoder["builtin_only"]
    assert "use a fixed size TensorArray" in proc.stdout and not (tmp_path / "unsized.tflite").exists()


def test_error_trace_story() -> None:
    proc = _story("error_trace/run.py")
    assert proc.returncode == 0 and "story: OK" in proc.stdout
    line = next(i for i, text in enumerate((EXAMPLES / "error_trace" / "model.py").read_text().splitlines(), 1)
                if "igamma(" in text)
    assert f"first frame reported: model.py:{line}:" in proc.stdout


def _path_env() -> dict[str, str]:
    """`edgetk` and `python3` from this venv first on PATH, as an installed edgetk would be in CI."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
