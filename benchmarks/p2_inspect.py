"""P2: `edgetk inspect` on a ~100 MB model (Keras ResNet50) vs loading it in the LiteRT interpreter.

edgetk reads the flatbuffer through mmap without copying weights, so its peak RSS should stay far below the
file size; the interpreter (allocate_tensors) is the anchor a user would otherwise reach for.
"""

from __future__ import annotations

from benchmarks.harness import Context, Row, Section, interleave, rss, spread
from benchmarks.models import ensure

TITLE = "`edgetk inspect` on ResNet50 (≈100 MB) vs LiteRT Interpreter + allocate_tensors (cold processes)"
GOAL_S, GOAL_RSS_MB = 1.0, 200.0


def measure(ctx: Context) -> Section:
    model = ensure("resnet50")["resnet50"]
    anchor = ("from ai_edge_litert.interpreter import Interpreter; "
              f"Interpreter(model_path={str(model)!r}).allocate_tensors()")
    runs = interleave({"edgetk": ctx.child(ctx.edgetk("inspect", model), ok_codes=(0,)),
                       "anchor": ctx.child(ctx.python(anchor), ok_codes=(0,))}, ctx.rounds)
    size = model.stat().st_size / 1e6
    t, mem = spread(runs["edgetk"]), rss(runs["edgetk"])
    rows = [
        Row("P2", f"inspect ResNet50 ({size:.0f} MB): wall time", t, spread(runs["anchor"]),
            "LiteRT load + allocate_tensors", goal=f"≤ {GOAL_S:g} s", met=t.median <= GOAL_S),
        Row("P2", "inspect ResNet50: peak RSS", mem, rss(runs["anchor"]), "LiteRT load + allocate_tensors",
            unit="MB", goal=f"≤ {GOAL_RSS_MB:g} MB", met=mem.max <= GOAL_RSS_MB),
    ]
    return Section("P2", TITLE, rows)
