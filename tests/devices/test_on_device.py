"""How one runner run becomes an observation (toolkit.devices.on_device.observe), with real child processes.

The runs go through the local transport: a process that really dies by SIGSEGV after the runner's phase
marker, the real runner on a Python without site-packages (no numpy), and a program that prints nothing.
"""

from __future__ import annotations

import sys

import pytest

from toolkit.devices.on_device import observe
from toolkit.errors import DeviceError, MissingDependencyError
from toolkit.transports.local import LocalTransport

CRASH = ("import faulthandler, os, signal, sys; faulthandler.enable(); "
         "sys.stderr.write('edgetk-runner: phase=import\\nedgetk-runner: phase=init\\n'); sys.stderr.flush(); "
         "os.kill(os.getpid(), signal.SIGSEGV)")


def test_a_signal_is_does_not_run_naming_signal_and_phase() -> None:
    with LocalTransport() as tr:
        res = tr.run([sys.executable, "-c", CRASH], timeout=60)
    obs = observe(res, "rpi4-arm64", "litert")
    assert (obs.verdict, obs.kind, obs.signal, obs.phase, obs.runtime) == (
        "does-not-run", "crashed", "SIGSEGV", "init", "litert")
    assert obs.message.startswith("killed by SIGSEGV during init (Fatal Python error: Segmentation fault")


def test_missing_runtime_and_silent_programs_are_not_observations(tmp_path) -> None:
    from toolkit.devices.deploy import RUNNER
    from toolkit.model.builder import build_single_op_model

    model = tmp_path / "relu.tflite"
    model.write_bytes(build_single_op_model("RELU"))
    with LocalTransport() as tr:
        # -S -I: no site-packages, so numpy and every runtime are missing, as on a bare board
        bare = tr.run([sys.executable, "-S", "-I", str(RUNNER), "--model", str(model), "--runs", "1"], timeout=60)
        silent = tr.run([sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"], timeout=60)
    with pytest.raises(MissingDependencyError, match="No module named 'numpy'"):
        observe(bare, "rpi4-arm64")
    with pytest.raises(DeviceError, match=r"gave no result on rpi4-arm64 \(exit 3\): boom"):
        observe(silent, "rpi4-arm64")
