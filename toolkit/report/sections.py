"""Results documents -> report sections: each a plot (inline SVG) and the table behind it.

Sections are built across ALL documents given to ``edgetk report`` (latency of every bench and compare,
op support of every check and compare, ...), so one page answers "where does which model run, how fast".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.provenance import UNKNOWN
from toolkit.report import plots
from toolkit.report.verdicts import target_cells

SUPPORT_VALUE = {"error": 0.0, "fallback": 0.5}
MEMORY_RULES = frozenset({"arena_over_ram", "model_over_flash"})  # toolkit.targets.rules
MEMORY_ROW = "(fits RAM / flash)"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    row_classes: list[str] = field(default_factory=list)  # a CSS class per row ("fail", "pass"), optional


@dataclass
class Section:
    title: str
    svgs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _name(path: str | None) -> str:
    return Path(path).name if path else "?"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


# ------------------------------------------------------------------ latency
@dataclass
class LatencyEntry:
    """One latency figure of the page with its provenance (toolkit.provenance) and raw samples."""

    label: str
    target: str
    timing: str
    samples: list[float]
    p50: float | None
    min: float | None = None
    max: float | None = None

    def row(self) -> list[str]:
        n = str(len(self.samples)) if self.samples else ("-" if self.timing == "estimated" else "none stored")
        return [self.label, self.timing, _fmt(self.min), _fmt(self.p50), _fmt(self.max), n]


def bench_entries(doc: dict) -> list[LatencyEntry]:
    """The figures of an edgetk.bench document (one result or a fleet's list): the runner's, and for an MCU
    target the estimate (its headline) beside the host-run TFLM time."""
    from toolkit.provenance import document_latency

    records = doc.get("results") if isinstance(doc.get("results"), list) else [doc]
    out = []
    for rec in records:
        runner = rec.get("runner") if isinstance(rec.get("runner"), dict) else rec
        lat = runner.get("latency_ms") or rec.get("latency_ms")
        if not lat:
            continue
        model = rec.get("model") if isinstance(rec.get("model"), str) else (rec.get("model") or {}).get("path")
        target = rec.get("target") or doc.get("target") or rec.get("device") or "?"
        where = target + (f" ({rec['device']})" if rec.get("device") and rec.get("device") != target else "")
        timing, _ = document_latency(dict(rec, runner=runner))
        label = f"{_name(model)} @ {where}"
        delegate = (rec.get("headline") or {}).get("delegate")
        label += f" ({delegate} delegate)" if delegate else ""
        out.append(LatencyEntry(label, target, timing, [float(v) for v in lat.get("samples") or []], lat.get("p50"),
                                lat.get("min"), lat.get("max")))
        estimate = (rec.get("mcu_estimate") or {}).get("latency_ms")
        if estimate is not None:
            out.append(LatencyEntry(label, target, "estimated", [], float(estimate)))
    return out


def compare_entries(doc: dict) -> list[LatencyEntry]:
    out = []
    for row in doc["latency"]:
        timing = row.get("timing") or UNKNOWN
        for tag in ("new", "old"):
            label = f"{tag} {_name(doc[tag]['path'])} @ {row['target']}"
            st = row[tag]
            samples = [float(v) for v in (row.get("samples_ms") or {}).get(tag) or []]
            out.append(LatencyEntry(label, row["target"], timing, samples, st["median_ms"], st["min_ms"], st["max_ms"]))
            if row.get("estimate"):
                out.append(LatencyEntry(label, row["target"], "estimated", [], row["estimate"][f"{tag}_ms"]))
    return out


def latency_entries(docs: list[dict]) -> list[LatencyEntry]:
    out: list[LatencyEntry] = []
    for doc in docs:
        if doc["schema"].startswith("edgetk.bench"):
            out += bench_entries(doc)
        elif doc["schema"].startswith("edgetk.compare"):
            out += compare_entries(doc)
    return out


_HEADERS = ["model @ target", "timing", "min ms", "p50 / median ms", "max ms", "samples"]


def latency_sections(docs: list[dict]) -> list[Section]:
    """"Latency per target": measured figures (from their samples) and, apart and labelled, estimates;
    emulated, host-run and software-GPU figures in their own section, "relative comparisons only"."""
    entries = latency_entries(docs)
    measured = [e for e in entries if e.timing == "measured"]
    estimated = [e for e in entries if e.timing == "estimated"]
    relative = [e for e in entries if e.timing not in ("measured", "estimated")]
    sections = []
    if measured or estimated:
        section = Section("Latency per target (measured on the device; estimates apart)")
        drawn = [e for e in measured if e.samples]
        if drawn:
            section.svgs.append(plots.latency_plot([(e.label, e.samples) for e in drawn],
                                                   "latency per target, measured on the device (ms)"))
        if estimated:
            section.notes.append("estimated: the MCU cycle model's prediction (docs/MCU_ESTIMATE.md), not a "
                                 "measurement; no MCU was run.")
            section.svgs.append(plots.estimate_plot([(e.label, e.p50) for e in estimated if e.p50 is not None],
                                                    "estimated latency (MCU cycle model), not measured"))
        if len(drawn) < len(measured):
            section.notes.append("figures without raw samples (older documents) are in the table, not the plot.")
        section.tables.append(Table(_HEADERS, [e.row() for e in measured + estimated]))
        sections.append(section)
    if relative:
        section = Section("Relative comparisons only (emulated, host-run, software GPU)", notes=[
            "These are not the device's latency: emulated = qemu-user on this host, host-run = the target's "
            "runtime (e.g. TFLM) on this host's CPU, software-gpu = LiteRT's GPU accelerator on SwiftShader. "
            "Compare them with each other, never with a device."])
        if any(e.timing == UNKNOWN for e in relative):
            section.notes.append("unknown: written by an older edgetk that did not record where the figure came "
                                 "from, so it is not taken for the device's latency.")
        drawn = [e for e in relative if e.samples]
        if drawn:
            section.svgs.append(plots.latency_plot([(f"{e.label} [{e.timing}]", e.samples) for e in drawn],
                                                   "relative comparisons only: emulated / host-run (ms)"))
        section.tables.append(Table(_HEADERS, [e.row() for e in relative]))
        sections.append(section)
    return sections


# ------------------------------------------------------------------ op support
def _model_ops(path: str | None) -> list[str]:
    """Op types of a model file when it is still on disk (check documents do not list passing ops)."""
    if not path or not Path(path).is_file():
        return []
    from toolkit.errors import ToolkitError
    from toolkit.model import load_model

    try:
        return sorted(load_model(path).op_counts())
    except ToolkitError:
        return []


def _support_columns(docs: list[dict]) -> list[tuple[str, list[str], dict[str, float]]]:
    """(column label, the model's ops, op -> support value) for every model x target."""
    cols = []
    for doc in docs:
        if doc["schema"].startswith("edgetk.check"):
            path = doc["model"]["path"]
            ops = _model_ops(path)
            for res in doc["results"]:
                worst: dict[str, float] = {}
                for f in res["findings"]:
                    if f.get("op") and f.get("severity") in SUPPORT_VALUE:
                        worst[f["op"]] = min(worst.get(f["op"], 1.0), SUPPORT_VALUE[f["severity"]])
                    if f.get("rule") in MEMORY_RULES and f.get("severity") == "error":
                        worst[MEMORY_ROW] = 0.0  # the model does not fit: nothing "runs" on that target
                label = f"{_name(path)} @ {res['target']}" + (" (does not fit)" if MEMORY_ROW in worst else "")
                cols.append((label, sorted({*ops, *worst, MEMORY_ROW}), worst))
        elif doc["schema"].startswith("edgetk.compare"):
            for row in doc["targets"]:
                for tag in ("new", "old"):
                    side = doc.get(tag)
                    if side:
                        bad = {op: 0.0 for op in row[f"{tag}_unsupported"]}
                        cols.append((f"{tag} {_name(side['path'])} @ {row['target']}", sorted(side["op_counts"]), bad))
    return cols


def support_section(docs: list[dict]) -> Section | None:
    cols = _support_columns(docs)
    if not cols:
        return None
    ops = sorted({op for _, col_ops, _ in cols for op in col_ops} - {MEMORY_ROW})
    if any(MEMORY_ROW in col_ops for _, col_ops, _ in cols):
        ops.insert(0, MEMORY_ROW)
    cells = [[(bad.get(op, 1.0) if op in col_ops else math.nan) for _, col_ops, bad in cols] for op in ops]
    label = {0.0: "does not run", 0.5: "delegate fallback", 1.0: "runs"}
    rows = [[op] + [label.get(v, "-") if not math.isnan(v) else "-" for v in cells[i]] for i, op in enumerate(ops)]
    table = Table(["op"] + [c for c, _, _ in cols], rows)
    note = ("Per-op cells are predicted from the measured op tables (check's and compare's findings); where "
            "check --verify ran a runtime, a refusal that names its op marks that op too. A target's verdict, "
            "with its evidence, is in the summary.")
    return Section("Op support heat map (ops x targets)", [plots.support_heatmap(ops, [c for c, _, _ in cols], cells)],
                   [table], [note])


# ------------------------------------------------------------------ cost
def _cost_rows(doc: dict) -> list[tuple[str, list[tuple[str, float]]]]:
    """(model path, top ops by MACs) for every model a document names."""
    if doc["schema"].startswith("edgetk.compare"):
        return [(doc[tag]["path"], [(r["op"], r["macs"]) for r in doc[tag]["cost_top"]])
                for tag in ("new", "old") if doc.get(tag) and doc[tag].get("cost_top")]
    path = (doc.get("model") or {}).get("path") if doc["schema"].startswith("edgetk.check") else doc.get("output")
    if not path or not Path(path).is_file():
        return []
    from toolkit.model import load_model
    from toolkit.report.compare import cost_top

    _, top = cost_top(load_model(path))
    return [(path, [(r["op"], r["macs"]) for r in top])] if top else []


def cost_section(docs: list[dict], top_n: int = 12) -> Section | None:
    section = Section(f"Per-op cost breakdown (top {top_n} ops by MACs, estimated by the static cost model)")
    seen: set = set()
    for doc in docs:
        for path, rows in _cost_rows(doc):
            key = str(Path(path).resolve())
            shape = tuple((op, m) for op, m in rows[:top_n])
            if key in seen or shape in seen or not rows:  # the same chart twice (new == old) says nothing new
                continue
            seen |= {key, shape}
            label = _name(path)
            rows = rows[:top_n]
            section.svgs.append(plots.cost_plot(rows, f"{label}: MACs per op"))
            section.tables.append(Table(["op", "MACs"], [[op, f"{int(m):,}"] for op, m in rows], caption=label))
    return section if section.svgs else None


# ------------------------------------------------------------------ new vs old
def headline_row(row: dict) -> tuple[float, float, str]:
    """(new ms, old ms, timing) a compare latency row's verdict is on: the MCU estimates for an MCU target."""
    estimate = row.get("estimate")
    timing = row.get("verdict_timing") or row.get("timing") or UNKNOWN
    if estimate:
        return estimate["new_ms"], estimate["old_ms"], timing
    return row["new"]["median_ms"], row["old"]["median_ms"], timing


def _latency_metric(doc: dict) -> tuple[str, float | None, float | None]:
    """The bar of the first latency row, named with its target and provenance (never a bare "latency")."""
    if not doc["latency"]:
        return "median latency (ms)", None, None
    row = doc["latency"][0]
    new, old, timing = headline_row(row)
    return f"latency ms, {row['target']} ({timing})", new, old


def compare_section(doc: dict) -> Section:
    """One section per comparison: verdict, new-vs-old bars, op counts, targets, numerics, findings."""
    new, old = doc["new"], doc.get("old")
    title = f"New vs old: {_name(new['path'])} vs {_name(old['path']) if old else 'old converter (failed)'}"
    quant = doc.get("quantization") or {}
    mode = " — quantization-aware: output differences count as accuracy drift" if quant.get("active") else ""
    section = Section(title, notes=[f"verdict: {doc['verdict']}{mode}"])
    section.notes += [f"{f['severity']}: {f['message']}" for f in doc["findings"]
                      if f["severity"] in ("regression", "improvement")]
    if doc.get("old_failure"):
        section.notes.append(f"old converter failed: {doc['old_failure']['message']}")
    metrics = [("size (bytes)", new["size_bytes"], old and old["size_bytes"]),
               ("operators", new["operators"], old and old["operators"]),
               ("MACs", new.get("total_macs"), old and old.get("total_macs")),
               _latency_metric(doc)]
    section.svgs.append(plots.new_old_bars(metrics, "new (blue) vs old (orange)"))
    section.tables.append(Table(["", "new", "old"], [[m, _fmt(n), _fmt(o)] for m, n, o in metrics]
                                + [["producer", _fmt(new["producer"]), _fmt(old and old["producer"])]]))
    ops = sorted(set(new["op_counts"]) | set((old or {}).get("op_counts", {})))
    new_counts = [new["op_counts"].get(op, 0) for op in ops]
    old_counts = [(old or {}).get("op_counts", {}).get(op, 0) for op in ops]
    section.svgs.append(plots.op_count_bars(ops, new_counts, old_counts, "operators by type"))
    section.tables.append(Table(["op", "new", "old"], [[op, str(n), str(o)] for op, n, o in zip(ops, new_counts, old_counts, strict=True)],
                                caption="op counts"))
    if doc["targets"]:
        section.tables.append(Table(["target", "new", "old", "change"],
                                    [[t["target"], *(_fmt(c) for c in target_cells(t)), t["change"]] for t in doc["targets"]],
                                    caption="op support per target (predicted from the op tables unless a run of the comparison is named)"))
    if doc["latency"]:
        rows = [[r["target"], *(_fmt(v) for v in headline_row(r)[:2]), headline_row(r)[2], f"x{r['ratio']:.2f}",
                 r["verdict"]] for r in doc["latency"]]
        section.tables.append(Table(["target", "new ms", "old ms", "timing", "ratio", "verdict"], rows,
                                    caption="latency (median of rounds, or the MCU estimate)"))
    section.tables.append(Table(["severity", "finding"], [[f["severity"], f["message"]] for f in doc["findings"]],
                                caption="findings"))
    return section


def convert_section(docs: list[dict]) -> Section | None:
    rows = [[_name(d.get("source")), _name(d.get("output")), _fmt(d.get("frontend")), _fmt(d.get("size_bytes")),
             ", ".join(f"{k}x{v}" for k, v in sorted((d.get("ops") or {}).items())), _fmt(d.get("rnn_form")),
             _fmt(d.get("convert_seconds"))]
            for d in docs if d["schema"].startswith("edgetk.convert")]
    if not rows:
        return None
    return Section("Conversions", tables=[Table(["source", "output", "frontend", "bytes", "ops", "rnn", "convert s"], rows)])
