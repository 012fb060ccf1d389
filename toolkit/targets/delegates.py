"""Per-delegate verdicts of a target (the "delegates" block of `check --json`).

A delegate with a measured table (`op_table`, today the GPU's) is answered from that table
(`gpu_verdict.predict_gpu`, evidence "op-table"); a delegate with only a documented op list (NNAPI) is
answered from the list and labelled "predicted from docs" everywhere; XNNPACK (the CPU path) has neither
and gets no block. `check --verify` replaces the GPU answer with an accelerator run.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.model import TfliteModel
from toolkit.targets.delegate_verdict import DelegateReason, DelegateVerdict
from toolkit.targets.gpu_verdict import load_gpu_table, predict_gpu
from toolkit.targets.optable import table_path
from toolkit.targets.schema import DelegateSpec, TargetDescriptor

FROM_DOCS = "predicted from docs"


def docs_verdict(model: TfliteModel, delegate: DelegateSpec) -> DelegateVerdict:
    """Coverage from a documented op list: every op type outside the list is said to run on the CPU."""
    taken = set(delegate.ops or ())
    names = {op.name for op in model.operators()}
    on_cpu = sorted(names - taken)
    rows = [DelegateReason(op, "not in its op list") for op in on_cpu]
    return DelegateVerdict(delegate.name, "partial" if on_cpu else "full", on_cpu, 1 if names & taken else 0,
                           FROM_DOCS, rows, delegate.source)


def gpu_table_path(target: TargetDescriptor, delegate: DelegateSpec) -> Path:
    assert delegate.op_table is not None
    return table_path(delegate.op_table, target.source_file or None)


def delegate_verdicts(model: TfliteModel, target: TargetDescriptor) -> list[DelegateVerdict]:
    verdicts = []
    for delegate in target.delegates:
        if delegate.op_table:
            verdict = predict_gpu(model, load_gpu_table(gpu_table_path(target, delegate)))
            verdicts.append(verdict if delegate.name == "gpu" else
                            DelegateVerdict(delegate.name, verdict.coverage, verdict.ops_on_cpu, verdict.partitions,
                                            verdict.evidence, verdict.reasons, verdict.source))
        elif delegate.ops is not None:
            verdicts.append(docs_verdict(model, delegate))
    return verdicts
