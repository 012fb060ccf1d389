"""P1: `edgetk check` on MobileNetV2 against every target, cold process, vs TF's Analyzer on the same file.

Both are cold processes: the user's experience is the whole command, import time included (for edgetk
most of it is import time). The anchor imports TensorFlow, which is what a user without edgetk pays.
"""

from __future__ import annotations

from benchmarks.harness import Context, Row, Section, interleave, rss, spread
from benchmarks.models import ensure

TITLE = "`edgetk check` (all targets, cold process) vs `tf.lite.experimental.Analyzer.analyze`"
GOAL_S, GOAL_SPEEDUP = 0.6, 8.0


def measure(ctx: Context) -> Section:
    model = ensure("mobilenetv2")["mobilenetv2"]
    anchor = ("import tensorflow as tf; "
              f"tf.lite.experimental.Analyzer.analyze(model_path={str(model)!r})")
    runs = interleave({"edgetk": ctx.child(ctx.edgetk("check", model, "--all-targets")),
                       "anchor": ctx.child(ctx.python(anchor), ok_codes=(0,))}, ctx.rounds)
    ours, theirs = spread(runs["edgetk"]), spread(runs["anchor"])
    speedup = theirs.median / ours.median
    row = Row("P1", f"check MobileNetV2 ({model.stat().st_size / 1e6:.1f} MB) against all targets",
              ours, theirs, "Analyzer.analyze, cold process", goal=f"≤ {GOAL_S} s median and ≥ {GOAL_SPEEDUP:.0f}× faster",
              met=ours.median <= GOAL_S and speedup >= GOAL_SPEEDUP, note=f"{speedup:.1f}× faster")
    mem = Row("P1", "peak RSS of the same runs", rss(runs["edgetk"]), rss(runs["anchor"]),
              "Analyzer.analyze", unit="MB")
    text = import_breakdown(ctx, ["check", str(model), "--all-targets"])
    return Section("P1", TITLE, [row, mem], text)


def import_breakdown(ctx: Context, args: list[str]) -> str:
    """Where the cold start goes: the biggest top-level imports of one `-X importtime` run."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "toolkit.cli", *args],
                          capture_output=True, text=True, env=ctx.env, timeout=120)
    top: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        module = parts[2]
        if len(module) - len(module.lstrip()) == 1:  # imported by the process itself, not by another module
            top[module.strip()] = int(parts[1])
    biggest = sorted(top.items(), key=lambda kv: -kv[1])[:8]
    cells = ", ".join(f"`{name}` {us / 1000:.0f} ms" for name, us in biggest)
    return (f"Import time of one cold `edgetk check` (`python -X importtime`, cumulative per top-level module): "
            f"{sum(top.values()) / 1000:.0f} ms in all; largest: {cells}.")
