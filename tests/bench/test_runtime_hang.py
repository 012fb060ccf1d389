"""A native runtime that never finishes, stopped at --timeout: a runtime failure (exit 6) that says what
happened, not a device error (exit 4). TFLM really loops forever on a WHILE whose cond and body are
one subgraph (benchmarks/fuzz_seeds.cyclic_while_model("cond-is-body")), run here by the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fuzz import cli_contract_problem
from benchmarks.fuzz_seeds import cyclic_while_model
from toolkit.bench.orchestrate import runtime_hang
from toolkit.errors import DeviceError, ExitCode, RuntimeCrashError
from toolkit.transports.local import LocalTransport


def test_tflm_hang_on_cond_is_body_is_a_runtime_failure(run_cli, tmp_path: Path) -> None:
    model = tmp_path / "cond-is-body.tflite"
    model.write_bytes(cyclic_while_model("cond-is-body"))
    proc = run_cli("bench", model, "--target", "cortex-m4", "--runs", "1", "--warmup", "0", "--no-store",
                   "--timeout", "8")  # fmt: skip
    assert proc.returncode == ExitCode.RUNTIME_CRASH, proc.stderr
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None
    message = proc.stderr.strip()
    assert message.startswith("error: cond-is-body.tflite on cortex-m4: the runtime did not finish within 8s "
                              "during ")  # the runner's last phase: TFLM loops in the WHILE's Prepare/Invoke
    assert message.endswith(" and was stopped (a model with cyclic control flow can hang TFLM)")


def test_only_a_local_child_stopped_at_the_timeout_counts_as_a_hang(tmp_path: Path) -> None:
    transport = LocalTransport(root=tmp_path / "local")
    with transport:
        with pytest.raises(DeviceError) as stopped:
            transport.run(["sleep", "30"], timeout=0.3)
    hang = runtime_hang(stopped.value, "local", "m.tflite on host-x86_64", 0.3)
    assert isinstance(hang, RuntimeCrashError) and hang.exit_code == ExitCode.RUNTIME_CRASH
    assert str(hang).startswith("m.tflite on host-x86_64: the runtime did not finish within 0.3s and was stopped")
    assert runtime_hang(stopped.value, "ssh", "m", 0.3) is None  # a remote timeout stays a device error
    assert runtime_hang(DeviceError("local: cannot start x"), "local", "m", 0.3) is None
