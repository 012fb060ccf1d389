"""The numerics verdict of a conversion, and target verdicts reconciled with the runtimes the check ran.

Why: "the check ran" is not "the model is right". Each conversion mode has a tolerance on the worst
relative error (max |tflite - TF| / max |TF| over an output) chosen from the error distributions measured on
the test corpus (docs/CONVERT.md, benchmarks/convert_tolerances.py); ``--tolerance`` overrides it. A check
runtime that crashed, failed or hung is not a pass, and TF's reference run failing means nothing was
checked: both make the verdict non-passing and the command exit non-zero (NUMERICS_FAILED), with the file
kept. A target whose runtime the check just ran gets its verdict from that run; a static prediction that
the run contradicts is reported as PREDICTION WRONG. No TensorFlow import.
"""

from __future__ import annotations

from typing import Any

from toolkit.convert.options import NumericsVerdict, RuntimeCheck

# Worst relative error allowed per --quantize mode; the measured distributions they come from are in
# docs/CONVERT.md ("Numerics verdict"), produced by benchmarks/convert_tolerances.py.
TOLERANCES = {"none": 1e-4, "float16": 1e-2, "dynamic": 0.1, "int16x8": 0.02, "int8": 0.25}
# Check runtime -> the runtime name a target descriptor declares.
RUNTIME_OF_CHECK = {"litert": "litert", "litert-no-xnnpack": "litert", "tflite-runtime": "tflite-runtime",
                    "tflm": "tflm"}
MEMORY_RULES = ("ram", "flash", "arena", "memory")


def summary_line(verdict: NumericsVerdict) -> str:
    """"numerics: PASSED ..." / "numerics: FAILED ..." / "numerics: NOT CHECKED ..." in one line (the terminal
    report and the NumericsFailed message say the same)."""
    worst = f"worst relative error {verdict.worst_rel:.3g}, " if verdict.worst_rel is not None else ""
    limit = f"tolerance {verdict.tolerance:.3g} ({verdict.tolerance_source})"
    if verdict.status == "passed":
        return f"numerics: PASSED ({worst}{limit})"
    if verdict.status == "skipped":
        return "numerics: SKIPPED (--no-verify)"
    word = "FAILED" if verdict.status == "failed" else "NOT CHECKED"
    return f"numerics: {word} ({worst}{limit})"


def numerics_verdict(checks: list[RuntimeCheck], quantize: str, tolerance: float | None, *, verify: bool,
                     reference_error: str | None, check_inputs: str | None) -> NumericsVerdict:
    """passed / failed / not-checked / skipped, with the tolerance used and every reason in one line each."""
    limit = tolerance if tolerance is not None else TOLERANCES[quantize]
    source = "--tolerance" if tolerance is not None else f"default for --quantize {quantize}"
    if not verify:
        return NumericsVerdict(status="skipped", tolerance=limit, tolerance_source=source,
                               reasons=["--no-verify: not checked against TF"])
    if reference_error:
        return NumericsVerdict(status="not-checked", tolerance=limit, tolerance_source=source,
                               check_inputs=check_inputs, reasons=[
            f"TF's own reference run failed on the check inputs: {reference_error}; pass --inputs FILE.npz "
            "with valid samples (one array per input, first axis = samples)"])
    reasons: list[str] = []
    worst: float | None = None
    for check in checks:
        if not check.ok:
            reasons.append(f"{check.runtime}: the check run failed — {check.error}")
            continue
        for out in check.outputs:
            worst = out.max_rel if worst is None else max(worst, out.max_rel)
            if not out.max_rel <= limit:  # NaN fails too
                reasons.append(f"{check.runtime}: {out.name} relative error {out.max_rel:.3g} > {limit:.3g} "
                               f"(max abs {out.max_abs:.3g})")
    if not checks:
        reasons.append("no runtime ran the check")
    status = "failed" if reasons else "passed"
    return NumericsVerdict(status=status, tolerance=limit, tolerance_source=source, worst_rel=worst,
                           check_inputs=check_inputs, reasons=reasons)


def _memory_only(findings: list[dict[str, Any]]) -> bool:
    errors = [f for f in findings if f.get("severity") == "error"]
    return bool(errors) and all(any(m in f.get("rule", "") for m in MEMORY_RULES) for f in errors)


def reconcile_targets(targets: list[dict[str, Any]], checks: list[RuntimeCheck]) -> list[dict[str, Any]]:
    """Each target row gains ``predicted`` and ``evidence``; a run of its runtime in this command decides.

    A failed/hung run of the target's runtime makes a predicted "runs" into "does-not-run" (PREDICTION WRONG).
    A successful run of a predicted "does-not-run" contradicts the prediction too, unless the prediction was
    only about memory (the check's TFLM arena is the host's, not the target's RAM).
    """
    rows = []
    for row in targets:
        runtime = (row.get("runtime") or "").split(" ")[0]
        ran = [c for c in checks if RUNTIME_OF_CHECK.get(c.runtime) == runtime]
        new = {**row, "predicted": row["verdict"], "evidence": "static", "prediction_wrong": False,
               "runtime_outcomes": [{"runtime": c.runtime, "ok": c.ok, "error": c.error} for c in ran]}
        failed = [c for c in ran if not c.ok]
        if failed:
            new["evidence"] = "verified"
            new["verdict"] = "does-not-run"
            if row["verdict"] != "does-not-run":
                new["prediction_wrong"] = True
                new["findings"] = [f"PREDICTION WRONG: predicted {row['verdict']}, but {failed[0].runtime} "
                                   f"failed in this run: {failed[0].error}", *row["findings"]]
        elif ran:
            new["evidence"] = "verified"
            if row["verdict"] == "does-not-run" and not _memory_only(row.get("finding_details", [])):
                new["verdict"] = "runs"
                new["prediction_wrong"] = True
                new["findings"] = [f"PREDICTION WRONG: predicted does-not-run, but {ran[0].runtime} ran the model "
                                   "in this run (on this host)", *row["findings"]]
        rows.append(new)
    return rows
