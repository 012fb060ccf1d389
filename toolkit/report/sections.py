"""Results documents -> report sections: each a plot (inline SVG) and the table behind it.

Sections are built across ALL documents given to ``edgetk report`` (latency of every bench and compare,
op support of every check and compare, ...), so one page answers "where does which model run, how fast".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.report import plots

SUPPORT_VALUE = {"error": 0.0, "fallback": 0.5}


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


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
def _bench_records(doc: dict) -> list[dict]:
    """Runner-style records inside an edgetk.bench document (one result or a list of them)."""
    records = doc.get("results") if isinstance(doc.get("results"), list) else [doc]
    out = []
    for rec in records:
        runner = rec.get("runner") if isinstance(rec.get("runner"), dict) else rec
        lat = runner.get("latency_ms") or rec.get("latency_ms")
        if not lat:
            continue
        label = f"{_name(rec.get('model') if isinstance(rec.get('model'), str) else (rec.get('model') or {}).get('path'))}"
        where = rec.get("target") or rec.get("device") or doc.get("target") or "?"
        samples = lat.get("samples") or rec.get("samples_ms") or [lat[k] for k in ("min", "p50", "p90", "max") if k in lat]
        out.append({"label": f"{label} @ {where}", "samples": samples, "stats": lat})
    return out


def latency_section(docs: list[dict]) -> Section | None:
    series, rows = [], []
    for doc in docs:
        if doc["schema"].startswith("edgetk.bench"):
            for rec in _bench_records(doc):
                series.append((rec["label"], rec["samples"]))
                s = rec["stats"]
                rows.append([rec["label"], _fmt(s.get("min")), _fmt(s.get("p50")), _fmt(s.get("max")), _fmt(s.get("runs"))])
        elif doc["schema"].startswith("edgetk.compare"):
            for row in doc["latency"]:
                for tag in ("new", "old"):
                    label = f"{tag} {_name(doc[tag]['path'])} @ {row['target']}" + (" [emulated]" if row["emulated"] else "")
                    series.append((label, row["samples_ms"].get(tag) or row[tag]["rounds_ms"]))
                    st = row[tag]
                    rows.append([label, _fmt(st["min_ms"]), _fmt(st["median_ms"]), _fmt(st["max_ms"]),
                                 str(len(row["samples_ms"].get(tag, [])))])
    if not series:
        return None
    table = Table(["model @ target", "min ms", "median ms", "max ms", "samples"], rows)
    return Section("Latency distributions per target", [plots.latency_plot(series)], [table])


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
                cols.append((f"{_name(path)} @ {res['target']}", sorted(set(ops) | set(worst)), worst))
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
    ops = sorted({op for _, col_ops, _ in cols for op in col_ops})
    cells = [[(bad.get(op, 1.0) if op in col_ops else math.nan) for _, col_ops, bad in cols] for op in ops]
    label = {0.0: "does not run", 0.5: "delegate fallback", 1.0: "runs"}
    rows = [[op] + [label.get(v, "-") if not math.isnan(v) else "-" for v in cells[i]] for i, op in enumerate(ops)]
    table = Table(["op"] + [c for c, _, _ in cols], rows)
    return Section("Op support heat map (ops x targets)", [plots.support_heatmap(ops, [c for c, _, _ in cols], cells)], [table])


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
    section = Section(f"Per-op cost breakdown (top {top_n} ops by MACs)")
    seen = set()
    for doc in docs:
        for path, rows in _cost_rows(doc):
            key = str(Path(path).resolve())
            if key in seen or not rows:
                continue
            seen.add(key)
            label = _name(path)
            rows = rows[:top_n]
            section.svgs.append(plots.cost_plot(rows, f"{label}: MACs per op"))
            section.tables.append(Table(["op", "MACs"], [[op, f"{int(m):,}"] for op, m in rows], caption=label))
    return section if section.svgs else None


# ------------------------------------------------------------------ new vs old
def _median(doc: dict, tag: str) -> float | None:
    rows = doc["latency"]
    return rows[0][tag]["median_ms"] if rows else None


def compare_section(doc: dict) -> Section:
    """One section per comparison: verdict, new-vs-old bars, op counts, targets, numerics, findings."""
    new, old = doc["new"], doc.get("old")
    title = f"New vs old: {_name(new['path'])} vs {_name(old['path']) if old else 'old converter (failed)'}"
    section = Section(title, notes=[f"verdict: {doc['verdict']}"])
    if doc.get("old_failure"):
        section.notes.append(f"old converter failed: {doc['old_failure']['message']}")
    metrics = [("size (bytes)", new["size_bytes"], old and old["size_bytes"]),
               ("operators", new["operators"], old and old["operators"]),
               ("MACs", new.get("total_macs"), old and old.get("total_macs")),
               ("median latency (ms)", _median(doc, "new"), _median(doc, "old"))]
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
                                    [[t["target"], t["new_verdict"], _fmt(t["old_verdict"]), t["change"]] for t in doc["targets"]],
                                    caption="op support per target"))
    if doc["latency"]:
        section.tables.append(Table(["target", "new median ms", "old median ms", "ratio", "verdict"],
                                    [[r["target"], _fmt(r["new"]["median_ms"]), _fmt(r["old"]["median_ms"]),
                                      f"x{r['ratio']:.2f}", r["verdict"]] for r in doc["latency"]], caption="latency"))
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
