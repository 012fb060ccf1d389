"""Numerics of a comparison: both models' outputs on the same seeded inputs, and against a reference.

The interpreters run in a child process (``run_pair.py``) so a native abort in either model becomes a
finding. The reference is an .npz with ``input_<i>`` and ``output_<i>`` arrays (e.g. the TF model's
outputs saved by ``edgetk convert``); when given, its inputs replace the seeded ones.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from toolkit import children
from toolkit.child_output import last_json_object
from toolkit.report.numerics_result import Numerics, OutputDiff
from toolkit.report.run_pair import RUNNING_MARK
from toolkit.report.verdicts import within_tolerance

#: status prefixes of a model the numerics child was running when it hung or died: that run never finished
STOPPED = ("hung: ", "crashed: ")

_RUN_PAIR = Path(__file__).with_name("run_pair.py")
__all__ = ["STOPPED", "Numerics", "OutputDiff", "compare_numerics"]


def _diff(index: int, against: str, actual: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> OutputDiff:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    err = np.abs(actual - expected)
    rel = err / np.maximum(np.abs(expected), 1e-12)
    return OutputDiff(
        index=index, against=against, shape=list(actual.shape),
        max_abs=float(err.max(initial=0.0)), max_rel=float(rel.max(initial=0.0)),
        within=within_tolerance(actual, expected, atol, rtol),
    )


def _compare_outputs(num: Numerics, arrays: dict, against: str, prefix: str) -> None:
    i = 0
    while f"new_output_{i}" in arrays and f"{prefix}{i}" in arrays:
        actual, expected = arrays[f"new_output_{i}"], arrays[f"{prefix}{i}"]
        if actual.shape != expected.shape:
            num.notes.append(f"output {i}: shapes differ (new {list(actual.shape)} vs {against} {list(expected.shape)})")
        else:
            num.diffs.append(_diff(i, against, actual, expected, num.atol, num.rtol))
        i += 1


def _dead_child(proc: children.ChildResult, seed: int, atol: float, rtol: float) -> Numerics:
    """A child that hung or died natively: the model it was running when it did gets the blame (run_pair marks
    each model on stderr before touching it); the new model, when it is the old one, had run to its end."""
    marks = [line[len(RUNNING_MARK):].strip() for line in proc.stderr.splitlines() if line.startswith(RUNNING_MARK)]
    if not marks:
        return Numerics(seed, atol, rtol, new_status=f"child failed: {proc.why()}", old_status=None)
    status = f"{STOPPED[0] if proc.timed_out else STOPPED[1]}{proc.why()}"
    if marks[-1] == "old":
        return Numerics(seed, atol, rtol, new_status="ok", old_status=status,
                        notes=["the new model ran, but its outputs were lost with the child"])
    return Numerics(seed, atol, rtol, new_status=status, old_status=None)


def _old_alone(old_path: Path, seed: int, timeout_s: float, tmp: Path) -> str:
    """The old model's own outcome when the new one hung or crashed the shared child before the old was reached.

    Without it the old side would keep check's prediction although the comparison never ran it (both models
    hanging printed 'runs' for the old one). Run alone, the old model gets inputs seeded from its own signature
    (nothing is compared: the new model never finished); a hang or crash there is blamed on it as well."""
    argv = [sys.executable, str(_RUN_PAIR), str(old_path), "-", str(tmp / "old_alone.npz"), str(seed), "-"]
    proc = children.run(argv, timeout=timeout_s, what="the numerics child (the old model alone)")
    if not proc.ok:
        return _dead_child(proc, seed, 0.0, 0.0).new_status  # the old model ran in the child's "new" slot
    status = last_json_object(proc.stdout)
    return "child failed: no result printed" if status is None else status.get("new", "not run")


def compare_numerics(
    new_path: Path, old_path: Path | None, *, seed: int = 0, atol: float = 1e-4, rtol: float = 1e-3,
    reference: Path | None = None, timeout_s: float = 300.0,
) -> Numerics:
    """Run both models (old may be None: TOCO failed) on the same inputs; diff new vs old and vs reference."""
    with tempfile.TemporaryDirectory(prefix="edgetk-numerics-") as tmp:
        out = Path(tmp) / "outputs.npz"
        argv = [sys.executable, str(_RUN_PAIR), str(new_path), str(old_path or "-"), str(out), str(seed),
                str(reference or "-")]
        proc = children.run(argv, timeout=timeout_s, what="the numerics child")
        if not proc.ok:
            num = _dead_child(proc, seed, atol, rtol)
            if old_path is not None and num.old_status is None and num.new_status.startswith(STOPPED):
                num.old_status = _old_alone(old_path, seed, timeout_s, Path(tmp))
            return num
        if not out.exists():
            return Numerics(seed, atol, rtol, new_status="child failed: no outputs written", old_status=None)
        status = last_json_object(proc.stdout)
        if status is None:
            return Numerics(seed, atol, rtol, new_status="child failed: no result printed", old_status=None)
        with np.load(out) as data:
            arrays = {k: data[k] for k in data.files}
    num = Numerics(seed, atol, rtol, new_status=status.get("new", "not run"), old_status=status.get("old"))
    if num.new_status == "ok" and num.old_status == "ok":
        _compare_outputs(num, arrays, "old", "old_output_")
    if reference is not None and num.new_status == "ok":
        with np.load(reference) as ref:
            arrays.update({f"reference_output_{k[len('output_'):]}": ref[k] for k in ref.files if k.startswith("output_")})
        _compare_outputs(num, arrays, "reference", "reference_output_")
    return num
