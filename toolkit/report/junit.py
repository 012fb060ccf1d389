"""JUnit XML for CI: one <testcase> per model x target, a <failure> where the verdict fails.

CI systems (GitHub Actions, GitLab, Jenkins) all render this format, so `check --junit` and
`compare --junit` make a failing target show up as a failing test with the reason as its message.
Written with xml.etree so names with quotes, ampersands or non-ASCII stay well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.provenance import UNKNOWN
from toolkit.report.check_text import field_of
from toolkit.targets.runtime_outcome import unfed_message


@dataclass(frozen=True)
class JUnitCase:
    """One test case; ``failure`` (the one-line reason) makes it fail, ``details`` goes in the body."""

    name: str
    classname: str
    failure: str | None = None
    details: str = ""
    skipped: str | None = None
    time_s: float = 0.0
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JUnitSuite:
    name: str
    cases: list[JUnitCase]


def junit_xml(suites: Iterable[JUnitSuite]) -> str:
    """Serialise suites to a JUnit XML document (``<testsuites>`` root)."""
    suites = list(suites)
    root = ET.Element("testsuites", name="edgetk")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in suites:
        failures = sum(1 for c in suite.cases if c.failure)
        skipped = sum(1 for c in suite.cases if c.skipped and not c.failure)
        el = ET.SubElement(
            root, "testsuite", name=suite.name, tests=str(len(suite.cases)),
            failures=str(failures), errors="0", skipped=str(skipped),
        )
        totals["tests"] += len(suite.cases)
        totals["failures"] += failures
        totals["skipped"] += skipped
        for case in suite.cases:
            _case_element(el, case)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    _make_xml_safe(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _make_xml_safe(root: ET.Element) -> None:
    """File names, runtime and device messages end up here: no character XML 1.0 forbids, no terminal escape."""
    from toolkit.text import xml_safe

    for el in root.iter():
        el.text = xml_safe(el.text) if el.text else el.text
        el.tail = xml_safe(el.tail) if el.tail else el.tail
        for key, value in el.attrib.items():
            el.set(key, xml_safe(value))


def _case_element(parent: ET.Element, case: JUnitCase) -> None:
    el = ET.SubElement(parent, "testcase", name=case.name, classname=case.classname, time=f"{case.time_s:.3f}")
    if case.properties:
        props = ET.SubElement(el, "properties")
        for key, value in case.properties.items():
            ET.SubElement(props, "property", name=key, value=str(value))
    if case.failure:
        fail = ET.SubElement(el, "failure", message=case.failure, type="verdict")
        fail.text = case.details or case.failure
    elif case.skipped:
        ET.SubElement(el, "skipped", message=case.skipped)


def write_junit(path: str | Path, suites: Iterable[JUnitSuite]) -> Path:
    from toolkit.fileio import write_text

    return write_text(path, junit_xml(suites))


def report_suites(docs: list[dict]) -> list[JUnitSuite]:
    """`report --junit`: one suite per check, compare and bench document (convert documents have none)."""
    suites = []
    for doc in docs:
        family = doc["schema"].partition("/")[0]
        if family == "edgetk.compare":
            suites.append(compare_suite(doc))
        elif family == "edgetk.bench":
            suites.append(bench_suite(doc))
        elif family == "edgetk.check":
            suites.append(check_suite(doc, Path(doc["model"]["path"]).name))
    return suites


def check_suite(report: Any, model_name: str) -> JUnitSuite:
    """Cases for a ``CheckReport`` (or its JSON dict): a target fails when its verdict is "does-not-run".

    The failure body is the target's findings grouped by (rule, op) with counts, op indices and fixes, as
    `edgetk check` prints them (toolkit/report/check_text.py), not one line per instance."""
    from toolkit.report.check_text import render_group, result_groups

    cases = []
    for result in field_of(report, "results", []) or []:
        target = str(field_of(result, "target"))
        verdict = str(field_of(result, "verdict"))
        groups = result_groups(result)
        details = "\n".join(line for g in groups for line in render_group(g, 100, show_targets=False))
        failure = skipped = None
        if verdict == "does-not-run":
            top = f"{groups[0].summary()}: {groups[0].messages[0]}" if groups else "see details"
            failure = f"{model_name} does not run on {target}: {top}"
        elif (unfed := unfed_message(result)) is not None:  # --verify could try nothing: not a pass
            skipped = f"not verified on {target} (the verdict is the prediction): {unfed}"
        cases.append(JUnitCase(
            name=f"{model_name} on {target}", classname=f"edgetk.check.{_ident(model_name)}",
            failure=failure, details=details, skipped=skipped, properties=_check_properties(result, verdict),
        ))
    return JUnitSuite(name=f"edgetk check {model_name}", cases=cases)


def _check_properties(result: Any, verdict: str) -> dict[str, str]:
    """verdict, where it came from ("static" prediction or "verified" by a runtime), and the prediction."""
    props = {"verdict": verdict, "evidence": str(field_of(result, "evidence", "static"))}
    if props["evidence"] == "verified":
        props["predicted_verdict"] = str(field_of(result, "predicted_verdict"))
        props["prediction_wrong"] = str(bool(field_of(result, "prediction_wrong"))).lower()
    for d in field_of(result, "delegates", None) or []:  # e.g. delegate.gpu = "partial (accelerator-run)"
        name = f"delegate.{field_of(d, 'name')}"
        props[name] = f"{field_of(d, 'coverage')} ({field_of(d, 'evidence')})"
        on_cpu = field_of(d, "ops_on_cpu") or []
        if on_cpu:
            props[f"{name}.ops_on_cpu"] = ", ".join(map(str, on_cpu)) if isinstance(on_cpu, list) else str(on_cpu)
        if field_of(d, "prediction_wrong", False):
            props[f"{name}.prediction_wrong"] = "true"
    return props


def _ident(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in Path(text).stem) or "model"


def compare_suite(doc: dict) -> JUnitSuite:
    """Cases for an ``edgetk.compare/1`` dict: one per target (support + latency), one for numerics.

    With no targets, one case stands for the whole comparison so CI still sees a pass/fail.
    """
    model = Path(doc["new"]["path"]).name
    regressions = [f for f in doc["findings"] if f["severity"] == "regression"]
    classname = f"edgetk.compare.{_ident(model)}"
    cases = []
    timed = {row["target"]: latency_properties(row) for row in doc["latency"]}
    for row in doc["targets"]:
        mine = [f["message"] for f in regressions if f.get("target") == row["target"]]
        cases.append(JUnitCase(
            name=f"{model} on {row['target']}", classname=classname,
            failure=mine[0] if mine else None, details="\n".join(mine),
            properties={"new": row["new_verdict"], "old": str(row["old_verdict"]), "change": row["change"],
                        **_support_evidence(row), **timed.get(row["target"], {})},
        ))
    covered = {row["target"] for row in doc["targets"]}
    for row in doc["latency"]:  # benched targets that were not also checked
        if row["target"] not in covered:
            mine = [f["message"] for f in regressions if f.get("target") == row["target"]]
            cases.append(JUnitCase(name=f"{model} on {row['target']}", classname=classname,
                                   failure=mine[0] if mine else None, details="\n".join(mine),
                                   properties=timed[row["target"]]))
    numeric = [f["message"] for f in regressions if f["kind"] == "numerics"]
    if doc.get("numerics") or not cases:
        rest = [f["message"] for f in regressions if not f.get("target")]
        failing = numeric if doc.get("numerics") else rest
        cases.append(JUnitCase(name=f"{model} numerics" if doc.get("numerics") else f"{model} compare",
                               classname=classname, failure=failing[0] if failing else None,
                               details="\n".join(failing)))
    return JUnitSuite(name=f"edgetk compare {model}", cases=cases)


def _support_evidence(row: dict) -> dict[str, str]:
    """Where a compare target's verdicts came from: the static op tables, or a run that decided them."""
    evidence = str(row.get("evidence") or "static")
    props = {"evidence": evidence}  # the document's word, as check's cases say it ("static": the op tables)
    if evidence != "static":
        props["predicted_new"] = str(row.get("predicted_new_verdict"))
        props["prediction_wrong"] = str(bool(row.get("prediction_wrong"))).lower()
    return props


def latency_properties(row: dict) -> dict[str, str]:
    """A compare latency row as JUnit properties: the figures the verdict is on, each with its provenance."""
    estimate = row.get("estimate")
    timing = row.get("verdict_timing") or row.get("timing") or UNKNOWN
    new = estimate["new_ms"] if estimate else row["new"]["median_ms"]
    old = estimate["old_ms"] if estimate else row["old"]["median_ms"]
    props = {"latency_timing": timing, "new_p50_ms": f"{new:.4g}", "old_p50_ms": f"{old:.4g}",
             "latency_ratio": f"{row['ratio']:.3f}", "latency_verdict": row["verdict"]}
    if estimate:
        props["rounds_timing"] = row.get("timing", "host-run")
    return props


def bench_suite(doc: dict) -> JUnitSuite:
    """Cases for an ``edgetk.bench`` document (one result or a fleet's list): one per model x target, failing
    when the bench's own findings are errors (the model does not fit RAM or flash). The headline latency
    and its provenance are properties, so a CI dashboard never shows a host-run figure as the device's."""
    from toolkit.provenance import document_latency

    cases = []
    for rec in doc["results"] if isinstance(doc.get("results"), list) else [doc]:
        model = Path((rec.get("model") or {}).get("path") or "model").name
        target = str(rec.get("target") or rec.get("device") or "?")
        timing, head = document_latency(rec)
        errors = [f["message"] for f in rec.get("findings", []) if f.get("severity") == "error"]
        props = {"p50_ms": "-" if head.get("p50_ms") is None else f"{head['p50_ms']:.4g}",
                 "timing": str(head.get("timing")), "runner_timing": timing}
        if head.get("delegate"):  # a phone's GPU delegate, as benchmark_model said it applied it
            props["delegate"] = str(head["delegate"])
        numerics = (rec.get("runner") or {}).get("numerics")
        if isinstance(numerics, dict):  # inference_diff on the phone
            props["gpu_numerics"] = {True: "pass", False: "FAIL"}.get(numerics.get("passed"), "not compared")
        mcu = rec.get("mcu_estimate")
        if mcu:  # the MCU estimate's kernels and how far its class's calibration can be trusted
            props.update({f"mcu_{key}": str(mcu[key]) for key in
                          ("kernels", "kernel_class", "calibration_status", "calibration_error")
                          if mcu.get(key) is not None})  # an older document without them gets no 'None'
        per_op = rec.get("per_op")
        if per_op and per_op.get("ops"):  # bench --per-op: the slowest op with the profile's provenance
            top = max(per_op["ops"], key=lambda op: op["ms"])
            props.update({"per_op_source": str(per_op.get("source")), "per_op_timing": str(per_op.get("timing")),
                          "per_op_top": f"{top['op']} #{top['index']} {top['ms']:.4g} ms",
                          "per_op_ratio": "-" if per_op.get("ratio") is None else f"{per_op['ratio']:.3g}"})
            if per_op.get("cpu_ratio") is not None:  # isolated-op: the ratio machine load does not move
                props["per_op_cpu_ratio"] = f"{per_op['cpu_ratio']:.3g}"
        cases.append(JUnitCase(name=f"{model} on {target}", classname=f"edgetk.bench.{_ident(model)}",
                               failure=f"{model} on {target}: {errors[0]}" if errors else None,
                               details="\n".join(errors), properties=props))
    return JUnitSuite(name="edgetk bench", cases=cases)


def device_junit_suite(checks: list[Any], model_name: str) -> JUnitSuite:
    """JUnit cases for the devices: the observation decides (does-not-run fails, not-checked is skipped)."""
    from toolkit.devices.on_device import DOES_NOT_RUN, NOT_CHECKED
    from toolkit.report.device_check import disagreement_line

    cases = []
    for c in checks:
        o = c.observed
        failure = f"{model_name} does not run on {c.device}: {o.message}" if o.verdict == DOES_NOT_RUN else None
        skipped = f"{c.device} not checked: {o.message}" if o.verdict == NOT_CHECKED else None
        details = disagreement_line(c) if c.agrees is False else ""
        cases.append(JUnitCase(
            name=f"{model_name} on device {c.device}", classname="edgetk.check.device", failure=failure,
            skipped=skipped, details=details or (failure or ""), time_s=o.seconds,
            properties={"predicted": c.predicted.verdict, "observed": o.verdict, "agrees": str(c.agrees).lower()},
        ))  # fmt: skip
    return JUnitSuite(name=f"edgetk check {model_name} on devices", cases=cases)
