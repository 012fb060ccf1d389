"""Evidence beats prediction, for `compare` (docs/DEVELOPING.md): what the comparison's own runs saw on a target
replaces check's verdict there, and check's verdict stays beside it.

Two runs of a comparison are evidence: the numerics run (both models in LiteRT on this host: the runtime of
every ``litert`` target, as ``check --verify`` counts it) and the bench (each bench target's own runtime).
A model one of them saw fail does not run on those targets, whatever the op tables predicted.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from toolkit.report.documents import TargetRow
from toolkit.report.latency import LatencySkip
from toolkit.report.verdicts import RUNNING, support_change

#: what each kind of evidence saw, as the PREDICTION WRONG finding says it
SAW = {"bench": "the bench ran {it} here and {it_} failed",
       "numerics": "LiteRT on this host (the numerics run) failed to run {it}"}


def observed_failure(row: TargetRow, sides: tuple[str, ...], evidence: str, why: str = "") -> TargetRow:
    """``row`` with the given sides' verdicts replaced by does-not-run where check said they run."""
    from toolkit.targets.check import DOES_NOT_RUN

    verdicts = {"new": row.new_verdict, "old": row.old_verdict}
    flipped = [s for s in sides if verdicts[s] in RUNNING]
    if not flipped:
        return row  # check already said it does not run: nothing contradicts it
    for side in flipped:
        verdicts[side] = DOES_NOT_RUN
    static = row.evidence == "static"
    reasons = {f"{s}_reasons": [*getattr(row, f"{s}_reasons"), why] for s in flipped if why}
    return row.model_copy(update={
        "new_verdict": verdicts["new"], "old_verdict": verdicts["old"],
        "change": support_change(verdicts["new"], verdicts["old"]), "evidence": evidence, "prediction_wrong": True,
        "predicted_new_verdict": row.new_verdict if static else row.predicted_new_verdict,
        "predicted_old_verdict": row.old_verdict if static else row.predicted_old_verdict, **reasons})


def observed_running(row: TargetRow, evidence: str) -> TargetRow:
    """``row`` whose every model a run of this comparison ran on the target: check's "runs" is now what was seen,
    not only what the op tables predict (a static does-not-run is left as it is: it may be a device limit, such
    as flash, that a run on this host cannot disprove)."""
    if row.evidence != "static" or row.new_verdict not in RUNNING or (
            row.old_verdict is not None and row.old_verdict not in RUNNING):
        return row
    return row.model_copy(update={"evidence": evidence, "predicted_new_verdict": row.new_verdict,
                                  "predicted_old_verdict": row.old_verdict})


def numerics_evidence(rows: list[TargetRow], numerics: Any) -> list[TargetRow]:
    """A model whose numerics run failed (its own error line or a hang/crash blamed on it; not a dead child of
    unknown cause, nor inputs of the other model's signature that do not fit it) does not run on litert targets;
    when every model ran, their "runs" there is the run's, not the op tables'."""
    if numerics is None:
        return rows
    from toolkit.report.run_pair import INPUTS_DO_NOT_FIT

    statuses = [("new", numerics.new_status), ("old", numerics.old_status)]
    failed = {side: status for side, status in statuses
              if status not in (None, "ok", "not run") and not status.startswith(("child failed", INPUTS_DO_NOT_FIT))}
    all_ran = numerics.new_status == "ok" and numerics.old_status in ("ok", None)
    if not failed and not all_ran:
        return rows
    from toolkit.targets import load_registry

    registry = load_registry()
    out = []
    for row in rows:
        if registry.get(row.target).runtime.name != "litert":
            out.append(row)
            continue
        for side, status in failed.items():
            row = observed_failure(row, (side,), "numerics", f"LiteRT here: {status}")
        out.append(observed_running(row, "numerics") if all_ran else row)
    return out


def bench_evidence(rows: list[TargetRow], skips: list[LatencySkip],
                   benched: Collection[str] = ()) -> list[TargetRow]:
    """A model the bench ran and saw fail on a target does not run there; on a target where the bench timed both
    models (``benched``), their "runs" is the bench's."""
    failed = {s.target: s for s in skips if s.observed}
    out = []
    for row in rows:
        skip = failed.get(row.target)
        sides = () if skip is None else ("new", "old") if skip.side == "both" else (skip.side,)
        if sides:
            row = observed_failure(row, sides, "bench")
        elif row.target in benched:
            row = observed_running(row, "bench")
        out.append(row)
    return out


def prediction_findings(row: TargetRow) -> list[dict]:
    """The loud line for a row whose prediction the comparison's own run contradicted."""
    if not row.prediction_wrong:
        return []
    sides = [f"the {side} model {predicted}" for side, predicted, seen in (
        ("new", row.predicted_new_verdict, row.new_verdict), ("old", row.predicted_old_verdict, row.old_verdict))
        if predicted != seen]
    pronouns = {"it": "them", "it_": "they"} if len(sides) > 1 else {"it": "it", "it_": "it"}
    saw = SAW.get(row.evidence, row.evidence).format(**pronouns)
    return [{"severity": "warning", "kind": "prediction-wrong", "target": row.target,
             "message": f"PREDICTION WRONG on {row.target}: check predicted {' and '.join(sides)}; "
                        f"{saw} (that outcome is the verdict)"}]
