"""New converter output vs old (TOCO or any baseline .tflite): structure, op support, numerics, latency.

``compare_models`` gathers the facts (each from the area that owns them: the model reader, ``check_model``,
the bench, a child-process interpreter) and ``toolkit.report.verdicts`` turns them into findings and one
regression verdict that CI can gate on (exit code 1). When TOCO could not convert the model at all the
old side is a failure with the ops it wanted: a finding, never a crash. Likewise a bench target where a
model cannot run (the support check says so, or its runtime crashes mid-bench) is a finding, not timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ExitCode, ToolkitError
from toolkit.report.compare_evidence import bench_evidence, numerics_evidence, prediction_findings
from toolkit.report.documents import (
    CompareDocument,
    CompareFinding,
    ModelSide,
    OldFailure,
    OpDiff,
    Quantization,
    TargetRow,
    TensorRef,
)
from toolkit.report.documents import Numerics as NumericsPart
from toolkit.report.latency import BenchPlan, LatencyRow, LatencySkip, bench_targets, compare_latency
from toolkit.report.numerics import STOPPED, Numerics, compare_numerics
from toolkit.report.quantized import quantization_findings, quantization_mode, weight_dtype
from toolkit.report.verdicts import RUNNING, overall_verdict, support_change

COMPARE_SCHEMA = "edgetk.compare/1"
NOT_CONVERTED = "not-converted"
# Why a check error stops a model, in the few words a finding has room for ("GELU: no kernel").
SHORT_REASONS = {"missing_kernel": "no kernel", "flex_op": "Flex op", "custom_op": "custom op",
                 "unsupported_op_version": "version too new", "unsupported_op_dtype": "dtype rejected",
                 "resource_variables": "resource variables"}


@dataclass
class Comparison:
    new: ModelSide
    old: ModelSide | None
    old_failure: dict | None
    ops: OpDiff | None
    targets: list[TargetRow]
    numerics: Numerics | None
    latency: list[LatencyRow]
    findings: list[dict]
    threshold: float
    verdict: str = "pass"
    latency_skipped: list[LatencySkip] = field(default_factory=list)
    quantization: dict = field(default_factory=dict)  # toolkit.report.quantized.quantization_mode

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.VERDICT_FAILED if self.verdict == "regression" else ExitCode.OK

    def to_model(self) -> CompareDocument:
        """The ``edgetk.compare/1`` document as its typed model (toolkit.report.documents)."""
        return CompareDocument(
            schema=COMPARE_SCHEMA, verdict=self.verdict, threshold=self.threshold, new=self.new, old=self.old,
            old_failure=OldFailure.model_validate(self.old_failure) if self.old_failure else None, ops=self.ops,
            targets=self.targets, numerics=NumericsPart.of(self.numerics) if self.numerics else None,
            latency=[row.to_model() for row in self.latency],
            findings=[CompareFinding.model_validate(f) for f in self.findings],
            quantization=Quantization.model_validate(self.quantization) if self.quantization else None)

    def to_dict(self) -> dict:
        """The ``edgetk.compare/1`` JSON document (docs/schemas/compare.md), emitted by its model: the parts
        built from findings and the quantization mode carry the fields they have."""
        model = self.to_model()
        doc = model.model_dump(by_alias=True)
        doc.update(old_failure=model.old_failure.model_dump(exclude_unset=True) if model.old_failure else None,
                   findings=[f.model_dump(exclude_unset=True) for f in model.findings],
                   quantization=model.quantization.model_dump(exclude_unset=True) if model.quantization else None)
        return doc


def _tensor_specs(model: Any, indices: Any) -> list[dict]:
    sg = model.subgraphs[0]
    return [{"name": sg.tensors[i].name, "dtype": sg.tensors[i].dtype, "shape": list(sg.tensors[i].shape)} for i in indices]


def cost_top(model: Any, top_n: int = 12) -> tuple[int | None, list[dict]]:
    """Top-N operators by MACs; (None, []) when the cost model is not installed or refuses this model."""
    try:
        from toolkit.model.cost import estimate_cost

        cost = estimate_cost(model)
    except (ImportError, ToolkitError):
        return None, []
    ops = sorted(cost.ops, key=lambda c: c.macs, reverse=True)[:top_n]
    rows = [{"op": f"{c.name}#{c.subgraph}.{c.index}", "name": c.name, "macs": int(c.macs)} for c in ops]
    return int(cost.total_macs), rows


def summarize_model(path: str | Path) -> ModelSide:
    """Read a .tflite (no TensorFlow) into the facts a comparison needs."""
    from toolkit.model import load_model

    m = load_model(path)
    ops = [op for sg in m.subgraphs for op in sg.operators]
    versions: dict[str, set[int]] = {}
    for op in ops:
        versions.setdefault(op.name, set()).add(int(op.version))
    total_macs, top = cost_top(m)
    return ModelSide(
        path=str(path), producer=m.producer, size_bytes=int(m.size_bytes), sha256=m.sha256,
        subgraphs=len(m.subgraphs), operators=len(ops), op_counts=dict(sorted(m.op_counts().items())),
        op_versions={k: sorted(v) for k, v in sorted(versions.items())},
        flex_ops=sorted({op.name for op in ops if op.is_flex}),
        custom_ops=sorted({op.name for op in ops if op.is_custom and not op.is_flex}),
        inputs=_tensor_specs(m, m.subgraphs[0].inputs), outputs=_tensor_specs(m, m.subgraphs[0].outputs),
        total_macs=total_macs, cost_top=top, weight_dtype=weight_dtype(m),
    )


def diff_ops(new: ModelSide, old: ModelSide) -> OpDiff:
    """Added / removed op types, and ops present in both whose versions or counts changed."""
    both = sorted(set(new.op_counts) & set(old.op_counts))
    return OpDiff(
        added=sorted(set(new.op_counts) - set(old.op_counts)),
        removed=sorted(set(old.op_counts) - set(new.op_counts)),
        version_changed=[{"op": op, "new": new.op_versions[op], "old": old.op_versions[op]}
                         for op in both if new.op_versions[op] != old.op_versions[op]],
        count_changed=[{"op": op, "new": new.op_counts[op], "old": old.op_counts[op]}
                       for op in both if new.op_counts[op] != old.op_counts[op]],
    )


def _check(path: str, descriptors: list) -> dict[str, tuple[str, list[str], list[str]]]:
    """target -> (verdict, ops the target cannot run, short reasons) from the targets area's check."""
    from toolkit.model import load_model
    from toolkit.targets import check_model

    report = check_model(load_model(path), descriptors)
    out = {}
    for r in report.results:
        errors = [f for f in r.findings if f.severity == "error"]
        reasons = sorted({f"{f.op}: {SHORT_REASONS.get(f.rule, f.rule.replace('_', ' '))}" if f.op else f.message
                          for f in errors})
        out[r.target] = (r.verdict, sorted({f.op for f in errors if f.op}), reasons)
    return out


def compare_targets(new_path: str, old_path: str | None, targets: list[str]) -> list[TargetRow]:
    """Op support per target for both models; an old model that never converted counts as not running."""
    if not targets:
        return []
    from toolkit.targets import load_registry

    reg = load_registry()
    descriptors = [reg.get(name) for name in targets]
    new = _check(new_path, descriptors)
    old = _check(old_path, descriptors) if old_path else {}
    rows = []
    for name in targets:
        new_verdict, new_ops, new_why = new[name]
        old_verdict, old_ops, old_why = old.get(name, (NOT_CONVERTED, [], []))
        rows.append(TargetRow(target=name, new_verdict=new_verdict, old_verdict=old_verdict,
                              change=support_change(new_verdict, old_verdict), new_unsupported=new_ops,
                              old_unsupported=old_ops, new_reasons=new_why, old_reasons=old_why))
    return rows


def _cannot_run(rows: list[TargetRow]) -> dict[str, tuple[str, str]]:
    """target -> (side, why) where the support check says one model or both cannot run: nothing to time."""
    out = {}
    for row in rows:
        new_bad, old_bad = row.new_verdict not in RUNNING, row.old_verdict not in RUNNING
        new_why = ", ".join(row.new_reasons) or row.new_verdict
        old_why = ", ".join(row.old_reasons) or str(row.old_verdict)
        if new_bad and old_bad:
            out[row.target] = ("both", f"neither model runs there (new: {new_why}; old: {old_why})")
        elif new_bad:
            out[row.target] = ("new", f"the new model does not run there ({new_why})")
        elif old_bad:
            out[row.target] = ("old", f"the old model does not run there ({old_why})")
    return out


def comparison_findings(cmp: Comparison) -> list[dict]:
    """Every fact that deserves a line in the report, each with a severity; "regression" fails the verdict."""
    out: list[dict] = []
    if cmp.old_failure:
        out.append({"severity": "info", "kind": "old-conversion-failed", "message": cmp.old_failure["message"],
                    "ops": cmp.old_failure.get("ops", [])})
    if cmp.old and cmp.new.producer != cmp.old.producer:
        out.append({"severity": "info", "kind": "producer",
                    "message": f"producers differ: new '{cmp.new.producer}', old '{cmp.old.producer}'"})
    if cmp.ops and (cmp.ops.added or cmp.ops.removed):
        out.append({"severity": "info", "kind": "ops",
                    "message": f"ops added {cmp.ops.added or '[]'}, removed {cmp.ops.removed or '[]'}"})
    if cmp.old and [(t.dtype, t.shape) for t in cmp.new.inputs] != [(t.dtype, t.shape) for t in cmp.old.inputs]:
        out.append({"severity": "warning", "kind": "signature",
                    "message": f"inputs differ: new {_io(cmp.new.inputs)}, old {_io(cmp.old.inputs)}"})
    out += _target_findings(cmp.targets)
    quantized = bool(cmp.quantization.get("active"))
    out += _numerics_findings(cmp.numerics, drift_only=quantized)
    if quantized:
        out += quantization_findings(cmp)
    out += [skip.to_finding() for skip in cmp.latency_skipped]
    for row in cmp.latency:  # a regression only on measured or estimated figures (toolkit.provenance)
        if row.verdict in ("slower", "faster"):
            severity = "improvement" if row.verdict == "faster" else "regression" if row.gating else "warning"
            out.append({"severity": severity, "kind": "latency", "target": row.target,
                        "timing": row.verdict_timing, "message": row.message(cmp.threshold)})
    return out


def _io(specs: list[TensorRef]) -> str:
    return ", ".join(f"{t.dtype}{t.shape}" for t in specs)


def _target_findings(rows: list[TargetRow]) -> list[dict]:
    out = []
    for row in rows:
        out += prediction_findings(row)
        if row.change == "regression":
            ops = ", ".join(row.new_unsupported) or (f"it failed in the {row.evidence} run" if row.prediction_wrong
                                                     else "see check")
            out.append({"severity": "regression", "kind": "support", "target": row.target,
                        "message": f"{row.target}: old model {row.old_verdict}, new model does not run ({ops})"})
        elif row.change == "improvement":
            out.append({"severity": "improvement", "kind": "support", "target": row.target,
                        "message": f"{row.target}: new model {row.new_verdict}, old model {row.old_verdict}"})
    return out


def _numerics_findings(num: Numerics | None, *, drift_only: bool = False) -> list[dict]:
    """Numerics problems; with ``drift_only`` (quantization-aware) differences are left to the drift findings."""
    if num is None:
        return []
    out = []
    for tag, status in (("new", num.new_status), ("old", num.old_status)):
        if status in (None, "ok"):
            continue
        if tag == "new" and status.startswith(STOPPED):  # the run never finished: nothing was compared
            out.append({"severity": "regression", "kind": "numerics",
                        "message": f"not compared: new model on the host {status}"})
        else:
            out.append({"severity": "warning", "kind": "numerics", "message": f"{tag} model did not run on the host: {status}"})
    out += [{"severity": "warning", "kind": "numerics", "message": note} for note in num.notes]
    for d in num.diffs:
        if not d.within and not drift_only:
            out.append({"severity": "regression", "kind": "numerics",
                        "message": f"output {d.index} differs from {d.against}: max abs {d.max_abs:.3g}, "
                                   f"max rel {d.max_rel:.3g} (atol {num.atol:g}, rtol {num.rtol:g})"})
    return out


def compare_models(
    new_path: str | Path,
    old: str | Path | Any,
    *,
    targets: list[str] | None = None,
    bench: BenchPlan | None = None,
    reference: str | Path | None = None,
    threshold: float = 0.1,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    seed: int = 0,
    numerics: bool = True,
    quantized: bool | None = None,
    timeout_s: float = 300.0,
) -> Comparison:
    """Compare NEW against OLD: a .tflite path, or a ``LegacyResult`` (a failed TOCO run is a finding).

    ``targets``: descriptor names for op support (and the bench's default targets); ``bench``: latency
    plan (None = no latency), whose targets are support-checked too so that a target where a model cannot
    run is skipped with a finding instead of crashing the bench; ``reference``: .npz with
    ``input_<i>``/``output_<i>`` (e.g. the TF model's outputs) that both models are also held against;
    ``quantized``: quantization-aware comparison (None = automatic when the precisions differ).
    """
    targets = list(targets or [])
    old_path, old_failure = _resolve_old(old)
    if bench and old_path:
        targets += [t for t in bench_targets(bench, targets) if t not in targets]
    new_side = summarize_model(new_path)
    old_side = summarize_model(old_path) if old_path else None
    num = None
    if reference is not None:  # a broken reference must not turn into a passing comparison
        from toolkit.bench.inputs_file import check_inputs_fit
        from toolkit.model import load_model

        with load_model(new_path) as new_model:
            check_inputs_fit(Path(reference), new_model, "--reference", keys="input_", resizable=True)
    if numerics:
        num = compare_numerics(Path(new_path), Path(old_path) if old_path else None, seed=seed, atol=atol, rtol=rtol,
                               reference=Path(reference) if reference else None, timeout_s=timeout_s)
    rows = numerics_evidence(compare_targets(str(new_path), old_path, targets), num)
    latency, skipped = [], []
    if bench and old_path:
        latency, skipped = compare_latency(str(new_path), old_path, bench, targets, threshold, cannot_run=_cannot_run(rows))
        rows = bench_evidence(rows, skipped, {lat.target for lat in latency})
    cmp = Comparison(
        new=new_side, old=old_side, old_failure=old_failure,
        ops=diff_ops(new_side, old_side) if old_side else None,
        targets=rows, numerics=num, latency=latency, findings=[], threshold=threshold, latency_skipped=skipped,
        quantization=quantization_mode(quantized, new_side, old_side),
    )
    cmp.findings = comparison_findings(cmp)
    cmp.verdict = overall_verdict(cmp.findings)
    return cmp


def _resolve_old(old: Any) -> tuple[str | None, dict | None]:
    """(path to the old .tflite or None, failure dict when the old converter refused the model)."""
    if isinstance(old, (str, Path)):
        return str(old), None
    if getattr(old, "ok", False):
        return str(old.output), None
    findings = list(getattr(old, "findings", []))
    ops = sorted({op for f in findings for op in getattr(f, "ops", [])})
    message = "; ".join(f.message for f in findings) or "the old converter failed"
    return None, {"converter": "TOCO", "source": getattr(old, "source", None), "message": message, "ops": ops,
                  "kinds": [f.kind for f in findings]}
