"""Cyclic control flow through `edgetk bench`: the native runtimes recurse or refuse, in their child process;
edgetk reports the signal (exit 6) or the runtime's own error, one line, and survives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO))
from benchmarks.fuzz import cli_contract_problem  # noqa: E402
from benchmarks.fuzz_seeds import cyclic_while_model  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("kind", "target", "expected"), [
    ("mutual", "host-x86_64", "killed by SIGSEGV"),  # LiteRT recurses until the stack overflows
    ("mutual", "cortex-m4", "killed by SIGSEGV"),  # TFLM too
    ("cond-is-body", "host-x86_64", "cond_subgraph_index != op_data->body_subgraph_index"),  # LiteRT refuses
])  # fmt: skip
def test_cyclic_model_crash_is_contained_and_named(tmp_path: Path, run_cli, kind: str, target: str,
                                                   expected: str) -> None:  # fmt: skip
    model = tmp_path / f"{kind}.tflite"
    model.write_bytes(cyclic_while_model(kind))
    proc = run_cli("bench", model, "--target", target, "--runs", "1", "--warmup", "0", "--no-store", "--timeout", "60")
    assert proc.returncode == 6, proc.stderr
    assert cli_contract_problem(proc.returncode, proc.stdout, proc.stderr) is None
    assert expected in proc.stderr
