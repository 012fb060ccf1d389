"""An ``--inputs`` / ``--reference`` file that does not fit the model is the user's mistake: one line naming
THEIR file, the input tensor, the expected and the given shape (exit 2), on every path that takes one —
never the run dir's or the device's copy (issue 17: "the shape error names the internal run-dir copy")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.model.builder import build_single_op_model, dynamic_batch_model, schema

INTERNAL = ("run-", "local-transport", "tflm-transport", "inputs.npz", "blobs")


def _add_model(path: Path) -> Path:
    """ADD of two [1, 4] inputs named in0, in1 (the builder names them)."""
    path.write_bytes(build_single_op_model("ADD", input_dtypes=("float32", "float32"),
                                           builtin_options=schema().AddOptionsT()))
    return path


def _error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not any(word in lines[0] for word in INTERNAL), lines[0]  # the user's file, not a copy
    return lines[0]


@pytest.mark.parametrize("target", ["host-x86_64", "cortex-m4"])  # LiteRT through local, TFLM through tflm
def test_bench_inputs_of_the_wrong_shape_name_the_users_file_and_the_tensor(target: str, tmp_path: Path,
                                                                            run_cli) -> None:
    model = _add_model(tmp_path / "add.tflite")
    inputs = tmp_path / "mine.npz"
    np.savez(inputs, in0=np.zeros((1, 4), np.float32), in1=np.zeros((2, 4), np.float32))
    line = _error_line(run_cli("bench", model, "-t", target, "--no-store", "--inputs", inputs))
    assert line == (f"error: --inputs {inputs}: array 'in1' for input 1 'in1' has shape [2, 4], "
                    f"the model wants [1, 4]")


def test_bench_inputs_missing_an_input_name_the_tensor(tmp_path: Path, run_cli) -> None:
    model = _add_model(tmp_path / "add.tflite")
    inputs = tmp_path / "one.npz"
    np.savez(inputs, in0=np.zeros((1, 4), np.float32))
    line = _error_line(run_cli("bench", model, "-t", "host-x86_64", "--no-store", "--inputs", inputs))
    assert line.startswith(f"error: --inputs {inputs}: no array for input 1 'in1' [1, 4]")


def test_bench_inputs_that_fit_run_and_are_used(tmp_path: Path, run_cli) -> None:
    """The check is not stricter than the runner: by tensor name and by position (arr_<i>) both run, and
    the output is the sum of the file's arrays."""
    import json

    model = _add_model(tmp_path / "add.tflite")
    for name, arrays in (("named", {"in1": np.ones((1, 4)), "in0": np.ones((1, 4))}),
                         ("positional", {"arr_0": np.ones((1, 4)), "arr_1": np.ones((1, 4))})):
        inputs = tmp_path / f"{name}.npz"
        np.savez(inputs, **arrays)
        proc = run_cli("bench", model, "-t", "host-x86_64", "--no-store", "--json", "--runs", "2", "--inputs", inputs)
        assert proc.returncode == 0, proc.stderr
        runner = json.loads(proc.stdout)["runner"]
        assert runner["options"]["inputs_file"] is True
        assert runner["outputs"][0]["min"] == runner["outputs"][0]["max"] == 2.0  # 1 + 1: the file's arrays


def test_fleet_bench_refuses_the_inputs_once_before_any_device(tmp_path: Path, run_cli) -> None:
    model = _add_model(tmp_path / "add.tflite")
    inventory = tmp_path / "devices.toml"
    inventory.write_text("".join(f'[devices.d{i}]\ntarget = "host-x86_64"\ntransport = "local"\n\n' for i in range(2)))
    inputs = tmp_path / "fleet.npz"
    np.savez(inputs, in0=np.zeros((1, 3)), in1=np.zeros((1, 4)))
    proc = run_cli("bench", model, "--all-devices", "--inventory", inventory, "--no-store", "--inputs", inputs)
    line = _error_line(proc)
    assert line.endswith("array 'in0' for input 0 'in0' has shape [1, 3], the model wants [1, 4]")
    assert "d0" not in proc.stdout and "d1" not in proc.stdout  # no device was started


def test_accelerator_gpu_refuses_inputs_it_would_ignore(tmp_path: Path, run_cli) -> None:
    model = _add_model(tmp_path / "add.tflite")
    inputs = tmp_path / "ok.npz"
    np.savez(inputs, in0=np.zeros((1, 4)), in1=np.zeros((1, 4)))
    line = _error_line(run_cli("bench", model, "-t", "android-arm64", "--accelerator", "gpu", "--no-store",
                               "--inputs", inputs))
    assert "--inputs is not used there" in line


def test_compare_reference_of_the_wrong_shape_is_an_error_not_a_failed_model(tmp_path: Path, run_cli) -> None:
    """Before: the numerics child resized the input to the reference's shape, the model 'did not run on the
    host' and the comparison said 'verdict: pass'."""
    model = _add_model(tmp_path / "add.tflite")
    reference = tmp_path / "ref.npz"
    np.savez(reference, input_0=np.zeros((1, 4)), input_1=np.zeros((1, 9)), output_0=np.zeros((1, 4)))
    proc = run_cli("compare", model, model, "--reference", reference)
    line = _error_line(proc)
    assert line == (f"error: --reference {reference}: array 'input_1' for input 1 'in1' has shape [1, 9], the "
                    f"model wants [1, 4]") and "verdict" not in proc.stdout
    np.savez(reference, input_0=np.zeros((1, 4)), output_0=np.zeros((1, 4)))
    line = _error_line(run_cli("compare", model, model, "--reference", reference))
    assert "1 input_<i> array(s), the model has 2 input(s) (in0, in1)" in line


def test_compare_reference_may_resize_a_dynamic_dimension(tmp_path: Path, run_cli) -> None:
    """A dynamic batch (-1 in the shape signature) takes any size, as the numerics child resizes it; the other
    dimensions must match."""
    import json

    model = tmp_path / "dyn.tflite"
    model.write_bytes(dynamic_batch_model())
    reference = tmp_path / "ref.npz"
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    np.savez(reference, input_0=x, output_0=np.maximum(x, 0))
    proc = run_cli("compare", model, model, "--reference", reference, "--json")
    assert proc.returncode == 0, proc.stderr
    numerics = json.loads(proc.stdout)["numerics"]
    assert numerics["new_status"] == "ok", numerics
    np.savez(reference, input_0=np.zeros((3, 5)), output_0=np.zeros((3, 5)))
    line = _error_line(run_cli("compare", model, model, "--reference", reference))
    assert line.endswith("has shape [3, 5], the model wants [-1, 4] (-1: any size)")


def test_convert_inputs_name_the_option_file_and_input(tmp_path: Path, run_cli) -> None:
    """Checked before TensorFlow starts (non-numeric), or by the worker against the traced input (shape)."""
    strings = tmp_path / "strings.npz"
    np.savez(strings, x=np.array(["a"]))
    line = _error_line(run_cli("convert", tmp_path / "absent.py:f", "-o", tmp_path / "o.tflite", "--inputs", strings))
    assert line.startswith(f"error: --inputs {strings}: array 'x' has dtype <U1")


TINY_SOURCE = """
import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
def double(x):
    return {"y": x * 2.0}
"""


@pytest.mark.slow  # TensorFlow traces the source
def test_convert_inputs_of_the_wrong_shape_name_the_file_and_the_input(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "tiny.py"
    source.write_text(TINY_SOURCE)
    inputs = tmp_path / "x.npz"
    np.savez(inputs, x=np.zeros((1, 5), np.float32))
    line = _error_line(run_cli("convert", f"{source}:double", "-o", tmp_path / "o.tflite", "--inputs", inputs))
    assert line == (f"error: --inputs {inputs}: array 'x' for input 'x' has shape [1, 5], the model wants "
                    f"[samples, 1, 4]")
    assert not (tmp_path / "o.tflite").exists()
