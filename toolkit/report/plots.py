"""Plots for the HTML report, as inline SVG strings (matplotlib, Agg backend, no files, no network).

Each function takes plain data and returns one ``<svg>`` element ready to paste into HTML. The SVG is
stripped of its XML prolog, RDF metadata and namespace URLs so the page holds no http(s) reference at all
(HTML5 parses inline ``<svg>`` and ``xlink:href`` without the declarations).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

from toolkit.text import inert

NEW_COLOR, OLD_COLOR = "#1f77b4", "#ff7f0e"
_SUPPORT_COLORS = ("#d62728", "#ffbf00", "#2ca02c")  # does not run, delegate fallback, runs


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "edgetk", "font.size": 9})
    return plt


def svg_of(fig) -> str:
    """Serialise and close a figure; only the self-contained ``<svg>`` element remains."""
    plt = _pyplot()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)


def latency_plot(series: Sequence[tuple[str, Sequence[float]]], title: str = "latency per target (ms)") -> str:
    """One row per label drawn from its raw samples: every sample as a dot, a box from 5 samples on, a
    violin behind it from 20 on. Fewer samples never pretend to be a distribution."""
    plt = _pyplot()
    series = [(inert(label), s) for label, s in series]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(series) + 1.4))
    data = [list(map(float, s)) for _, s in series]
    positions = list(range(1, len(series) + 1))
    violins = [i for i, d in enumerate(data) if len(d) >= 20]
    if violins:
        parts = ax.violinplot([data[i] for i in violins], positions=[positions[i] for i in violins], vert=False,
                              showextrema=False)
        for body in parts["bodies"]:
            body.set_alpha(0.25)
    boxes = [i for i, d in enumerate(data) if len(d) >= 5]
    if boxes:
        ax.boxplot([data[i] for i in boxes], positions=[positions[i] for i in boxes], vert=False, widths=0.35,
                   showfliers=False)
    for pos, values in zip(positions, data, strict=True):
        jitter = [pos + 0.12 * ((k * 7919) % 11 - 5) / 5 for k in range(len(values))]
        ax.scatter(values, jitter, s=6, color=NEW_COLOR, alpha=0.5, zorder=3)
    labels = [f"{label} (n={len(d)})" for (label, _), d in zip(series, data, strict=True)]
    ax.set_yticks(positions, labels)
    ax.set_xlabel("ms")
    ax.set_title(inert(title))
    ax.grid(axis="x", alpha=0.3)
    return svg_of(fig)


def estimate_plot(rows: Sequence[tuple[str, float]], title: str) -> str:
    """Horizontal bars of estimated latencies (one number each: a model's prediction, not a distribution)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.3))
    labels = [inert(label) for label, _ in rows][::-1]
    values = [float(v) for _, v in rows][::-1]
    bars = ax.barh(labels, values, color="#9467bd", hatch="//", edgecolor="white")
    for bar, v in zip(bars, values, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:.4g} ms (estimated)", va="center",
                fontsize=7)
    ax.set_xlabel("ms (estimated)")
    ax.set_title(inert(title))
    ax.grid(axis="x", alpha=0.3)
    return svg_of(fig)


def trend_plot(points: Sequence[tuple[str, float, str]], title: str) -> str:
    """p50 over time: (ISO time, ms, timing) per result, one marker style per provenance."""
    plt = _pyplot()
    from datetime import datetime

    fig, ax = plt.subplots(figsize=(8, 3.2))
    markers = {"measured": "o", "estimated": "s", "emulated": "^", "host-run": "v", "software-gpu": "D"}
    times = [datetime.fromisoformat(t) for t, _, _ in points]
    ax.plot(times, [v for _, v, _ in points], color="#999999", linewidth=1, zorder=1)
    for timing in sorted({t for _, _, t in points}):
        xs = [x for x, (_, _, t) in zip(times, points, strict=True) if t == timing]
        ys = [v for _, v, t in points if t == timing]
        ax.scatter(xs, ys, marker=markers.get(timing, "x"), label=timing, zorder=2)
    ax.set_ylabel("p50 ms")
    ax.set_title(inert(title))
    ax.legend(title="timing", fontsize=7)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return svg_of(fig)


def support_heatmap(ops: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[float]]) -> str:
    """ops x targets: 1 runs, 0.5 delegate fallback, 0 does not run, NaN op absent from that model."""
    plt = _pyplot()
    from matplotlib.colors import ListedColormap

    ops, columns = [inert(o) for o in ops], [inert(c) for c in columns]
    fig, ax = plt.subplots(figsize=(1.2 * len(columns) + 3, 0.32 * len(ops) + 1.6))
    cmap = ListedColormap(_SUPPORT_COLORS).with_extremes(bad="#eeeeee")
    import numpy as np

    grid = np.array(cells, dtype=float).reshape(len(ops), len(columns))
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    ax.set_yticks(range(len(ops)), ops)
    marks = {0.0: "no", 0.5: "fb", 1.0: "ok"}
    for (r, c), v in np.ndenumerate(grid):
        if not math.isnan(v):
            ax.text(c, r, marks.get(float(v), ""), ha="center", va="center", fontsize=7, color="white" if v < 0.75 else "black")
    ax.set_title("op support (ok = runs, fb = delegate fallback, no = does not run, grey = op absent)")
    return svg_of(fig)


def cost_plot(rows: Sequence[tuple[str, float]], title: str) -> str:
    """Horizontal bars of the top operators by MACs."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.3))
    labels = [inert(label) for label, _ in rows][::-1]
    values = [float(v) for _, v in rows][::-1]
    ax.barh(labels, values, color=NEW_COLOR)
    ax.set_xlabel("MACs")
    ax.set_title(inert(title))
    ax.grid(axis="x", alpha=0.3)
    return svg_of(fig)


def per_op_bars(rows: Sequence[tuple[str, float, float | None]], timing: str, title: str) -> str:
    """Horizontal bars of per-op median times (``timing``), each with the estimated split beside it."""
    plt = _pyplot()
    rows = [(inert(r[0]), *r[1:]) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(rows) + 1.4))
    pos = list(range(len(rows)))[::-1]
    ax.barh([p + 0.2 for p in pos], [r[1] for r in rows], height=0.4, color=NEW_COLOR, label=f"{timing} (alone)")
    est = [(p, r[2]) for p, r in zip(pos, rows, strict=True) if r[2] is not None]
    if est:
        ax.barh([p - 0.2 for p, _ in est], [v for _, v in est], height=0.4, color=OLD_COLOR, alpha=0.7,
                label="estimated (p50 split by static cost)")
    ax.set_yticks(pos, [r[0] for r in rows])
    ax.set_xlabel("ms")
    ax.set_title(inert(title))
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    return svg_of(fig)


def new_old_bars(metrics: Sequence[tuple[str, float | None, float | None]], title: str) -> str:
    """One small panel per metric (size, operators, MACs, latency...) with the new and the old bar."""
    plt = _pyplot()
    metrics = [m for m in metrics if m[1] is not None or m[2] is not None]
    fig, axes = plt.subplots(1, max(len(metrics), 1), figsize=(2.1 * max(len(metrics), 1) + 0.5, 2.6), squeeze=False)
    for ax, (name, new, old) in zip(axes[0], metrics, strict=False):
        values = [new or 0.0, old or 0.0]
        bars = ax.bar(["new", "old"], values, color=[NEW_COLOR, OLD_COLOR])
        for bar, v, raw in zip(bars, values, (new, old), strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, v, "n/a" if raw is None else f"{v:.4g}", ha="center", va="bottom", fontsize=7)
        ax.set_title(inert(name), fontsize=8)
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9, y=1.06)
    return svg_of(fig)


def op_count_bars(ops: Sequence[str], new: Sequence[int], old: Sequence[int], title: str) -> str:
    """Grouped bars: how many of each op type the new and the old model contain."""
    plt = _pyplot()
    import numpy as np

    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(ops) + 2), 3.2))
    ops = [inert(o) for o in ops]
    x = np.arange(len(ops))
    ax.bar(x - 0.2, new, 0.4, label="new", color=NEW_COLOR)
    ax.bar(x + 0.2, old, 0.4, label="old", color=OLD_COLOR)
    ax.set_xticks(x, ops, rotation=35, ha="right")
    ax.set_ylabel("count")
    ax.legend()
    ax.set_title(inert(title))
    return svg_of(fig)
