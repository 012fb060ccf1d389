"""The legacy (TOCO) front end without its environment: failure parsing, missing env, bad sources.

The error texts are TOCO's real output, captured from the TF 2.17.1 environment on this machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.convert.legacy import convert_legacy, legacy_env_status, parse_toco_failure
from toolkit.errors import BadInputError, ExitCode, MissingDependencyError

KERAS_LSTM = (
    "Exception: We are continually in the process of adding support to TensorFlow Lite for more ops.\n"
    "Some of the operators in the model are not supported by the standard TensorFlow Lite runtime. "
    "Here is a list of builtin operators you are using: FULLY_CONNECTED, RESHAPE, STRIDED_SLICE. "
    "Here is a list of operators for which you will need custom implementations: StatelessWhile, "
    "TensorListFromTensor, TensorListReserve, TensorListStack.\n"
)
KERAS3_EXPORT_LSTM = (
    "ConverterError: See console for info.\n"
    "2026-11-29 09:06:50.909121: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:485] Unable to register cuFFT\n"
    "2026-11-29 09:06:52.064488: F tensorflow/lite/toco/allocate_transient_arrays.cc:181] An array, lstm_1/TensorArrayV2_1, "
    "still does not have a known data type after all graph transformations have run.\n"
    "Fatal Python error: Aborted\n"
)


def test_custom_ops_failure_names_the_ops() -> None:
    [finding] = parse_toco_failure(KERAS_LSTM)
    assert finding.kind == "needs-custom-ops"
    assert finding.ops == ["StatelessWhile", "TensorListFromTensor", "TensorListReserve", "TensorListStack"]
    assert "StatelessWhile" in finding.message


def test_fatal_toco_log_line_is_the_message() -> None:
    [finding] = parse_toco_failure(KERAS3_EXPORT_LSTM)
    assert finding.kind == "converter-error"
    assert finding.message.startswith("TOCO failed: An array, lstm_1/TensorArrayV2_1, still does not have a known data type")


def test_missing_environment_says_how_to_set_it_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGETK_CACHE", str(tmp_path / "empty-cache"))
    assert not legacy_env_status().ready
    src = tmp_path / "m.h5"
    src.write_bytes(b"not really")
    with pytest.raises(MissingDependencyError, match="run: edgetk legacy setup") as info:
        convert_legacy(src, tmp_path / "out.tflite")
    assert info.value.exit_code == ExitCode.MISSING_DEPENDENCY


def test_bad_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such model source"):
        convert_legacy(tmp_path / "missing.h5", tmp_path / "o.tflite")
    (tmp_path / "dir").mkdir()
    with pytest.raises(BadInputError, match="not a SavedModel"):
        convert_legacy(tmp_path / "dir", tmp_path / "o.tflite")
    (tmp_path / "m.py").write_text("def f():\n    pass\n")
    with pytest.raises(BadInputError, match="needs a function"):
        convert_legacy(tmp_path / "m.py", tmp_path / "o.tflite")


def test_cli_status_without_environment(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGETK_CACHE", str(tmp_path / "empty-cache"))
    proc = run_cli("legacy", "status")
    assert proc.returncode == 0 and "not set up" in proc.stdout and "edgetk legacy setup" in proc.stdout
