"""Inputs a user can produce never give exit 70 or a traceback: each is one `error:` line with the fix and
a documented code (docs/EXIT_CODES.md) — through the real CLI where the input reaches it that way."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from benchmarks.fuzz import cli_contract_problem
from toolkit.errors import BadInputError, DeviceError
from toolkit.transports.base import RunResult


def _one_line(proc, code: int = 2) -> str:
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
    assert proc.returncode == code, proc.stderr
    return proc.stderr.strip()


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_timeout_must_be_finite_and_positive(value: str, tmp_path: Path, seeds, run_cli) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    for argv in (["bench", str(model), "-t", "host-x86_64", "--no-store"], ["compare", str(model), str(model)]):
        line = _one_line(run_cli(*argv, f"--timeout={value}"))
        assert "--timeout" in line and "positive number of seconds" in line


def test_results_show_of_an_absurd_id(tmp_path: Path, run_cli) -> None:
    line = _one_line(run_cli("results", "show", "99999999999999999999999", "--db", str(tmp_path / "r.sqlite")))
    assert "no result with id" in line


def test_inspect_on_a_named_pipe_does_not_hang(tmp_path: Path, run_cli) -> None:
    fifo = tmp_path / "model.tflite"
    os.mkfifo(fifo)
    line = _one_line(run_cli("inspect", str(fifo), timeout=60))
    assert "not a regular file" in line


DESCRIPTORS = {  # name: files, text in the error
    "1500-long extends chain": (
        {**{f"t{i}.toml": f'extends = "t{i + 1}"\n' for i in range(1500)}, "t1500.toml": 'extends = "host-x86_64"\n'},
        "extends chain deeper than 32"),
    "deeply nested TOML": ({"deep.toml": 'extends = "host-x86_64"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"},
                           "deep.toml"),
    "clock_hz = 1e-300": ({"slow.toml": 'extends = "cortex-m4"\n[cpu]\nclock_hz = 1e-300\n'}, "cpu.clock_hz"),
    "clock_hz = inf": ({"fast.toml": 'extends = "cortex-m4"\n[cpu]\nclock_hz = inf\n'}, "cpu.clock_hz"),
    "macs_per_cycle = nan": ({"nan.toml": 'extends = "cortex-m4"\n[cpu]\nmacs_per_cycle = nan\n'},
                             "cpu.macs_per_cycle"),
}  # fmt: skip


@pytest.mark.parametrize("case", DESCRIPTORS)
def test_hostile_descriptors_are_one_line(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          seeds, run_cli) -> None:  # fmt: skip
    files, text = DESCRIPTORS[case]
    extra = tmp_path / "targets"
    extra.mkdir()
    for name, body in files.items():
        (extra / name).write_text(body)
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(extra))
    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    assert text in _one_line(run_cli("check", str(model), "-t", "cortex-m4", "--json"))


@pytest.mark.parametrize(("content", "why"), [
    (b"\xff\xfe not utf-8", "not a readable JSON"), (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])  # fmt: skip
def test_report_on_hostile_json_is_one_line(content: bytes, why: str, tmp_path: Path, run_cli) -> None:
    doc = tmp_path / "doc.json"
    doc.write_bytes(content)
    assert why in _one_line(run_cli("report", str(doc), "--html", str(tmp_path / "r.html")))
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(("stdout", "why"), [
    ('{"schema": "SCHEMA", "error": "boom"}', "'error' is str"),
    ('{"schema": "SCHEMA", "latency_ms": {"p50": "x"}, "runtime": {}}', "latency_ms.p50 is not a number"),
    ('{"schema": "SCHEMA", "latency_ms": [], "runtime": {}}', "'latency_ms' is list"),
    ("{" + '"a":' * 50_000 + "1" + "}" * 50_000, "gave no result"),
])  # fmt: skip
def test_malformed_runner_output_is_a_device_error(stdout: str, why: str) -> None:
    """Runner output comes from the device: bench and check --device read it as untrusted input."""
    from toolkit.bench.orchestrate import parse_runner_output
    from toolkit.devices.on_device import observe
    from toolkit.runtimes.protocol import SCHEMA

    result = RunResult(("python3", "runner.py"), 0, stdout.replace("SCHEMA", SCHEMA) + "\n", "", 0.1)
    with pytest.raises(DeviceError, match="malformed result|gave no result") as err:
        parse_runner_output(result, "m.tflite", "pi")
    assert why in str(err.value) or why == "gave no result"
    with pytest.raises(DeviceError):
        observe(result, "pi", "litert")


def test_missing_numpy_on_the_device_is_exit_3_for_bench_as_for_check() -> None:
    from toolkit.bench.orchestrate import parse_runner_output
    from toolkit.errors import ExitCode
    from toolkit.runtimes.protocol import SCHEMA

    doc = {"schema": SCHEMA, "error": {"kind": "internal", "message": "No module named 'numpy'"}}
    with pytest.raises(Exception) as err:
        parse_runner_output(RunResult(("python3",), 1, json.dumps(doc), "", 0.1), "m.tflite", "pi")
    assert err.value.exit_code == ExitCode.MISSING_DEPENDENCY


def test_ssh_config_port_that_is_not_a_number(tmp_path: Path) -> None:
    from toolkit.transports.ssh import SshSettings, resolve_endpoint

    config = tmp_path / "config"
    config.write_text("Host pi\n  Port notanumber\n")
    with pytest.raises(BadInputError, match="Port 'notanumber' for host pi is not a number"):
        resolve_endpoint(SshSettings(host="pi", ssh_config=str(config)))


def test_children_signal_names_never_raise_and_groups_die_with_the_caller(tmp_path: Path) -> None:
    import sys

    from toolkit import children

    assert children.signal_name(-11) == "SIGSEGV" and children.signal_name(-77) == "signal 77"
    res = children.run([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5, what="sleeper")
    assert res.timed_out and not res.ok and "did not finish" in res.why() and children.live_groups() == []
    seen: list[str] = []
    res = children.run([sys.executable, "-c", "import sys; print('a', file=sys.stderr); print('b', file=sys.stderr)"],
                       timeout=30, what="talker", on_stderr_line=seen.append)  # fmt: skip
    assert res.ok and seen == ["a", "b"]
    stop = threading.Timer(0.5, lambda: children.kill_all())
    stop.start()
    res = children.run([sys.executable, "-c", "import time; time.sleep(60)"], timeout=30, what="sleeper")
    assert res.signal == "SIGKILL" and res.duration_s < 10


@pytest.mark.parametrize("kind", ["missing", "npy", "not-npz", "strings", "objects"])
def test_bad_inputs_file_is_exit_2_naming_the_users_file(kind: str, tmp_path: Path, seeds, run_cli) -> None:
    import numpy as np

    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    inputs = tmp_path / f"{kind}.npz"
    if kind == "npy":
        np.save(tmp_path / "a.npy", np.zeros(3))
        (tmp_path / "a.npy").rename(inputs)
    elif kind == "not-npz":
        inputs.write_bytes(b"definitely not a zip")
    elif kind == "strings":
        np.savez(inputs, x=np.array(["a", "b"]))
    elif kind == "objects":
        np.savez(inputs, x=np.array([{"a": 1}], dtype=object))
    line = _one_line(run_cli("bench", str(model), "-t", "host-x86_64", "--no-store", "--inputs", str(inputs)))
    assert line.startswith(f"error: --inputs {inputs}")


@pytest.mark.parametrize("kind", ["missing", "not-npz", "no-outputs"])
def test_broken_compare_reference_is_an_error_not_a_pass(kind: str, tmp_path: Path, seeds, run_cli) -> None:
    import numpy as np

    model = tmp_path / "m.tflite"
    model.write_bytes(seeds["tf-conv"])
    reference = tmp_path / "ref.npz"
    if kind == "not-npz":
        reference.write_text("garbage")
    elif kind == "no-outputs":
        np.savez(reference, foo=np.zeros(3))
    proc = run_cli("compare", str(model), str(model), "--reference", str(reference))
    assert _one_line(proc).startswith(f"error: --reference {reference}") and "verdict" not in proc.stdout
