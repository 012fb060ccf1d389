"""P11: `bench --per-op` (isolated-op method): sum of op times vs the whole-model p50, and what it costs.

For MobileNetV2 (benchmarks/models.py) and a third-party MediaPipe model (hand_recrop, benchmarks/corpus.py)
on host LiteRT, and the small conv net on the emulated Pi 4: `edgetk bench --per-op --json` per round; the
ratio sum(op p50) / whole-model p50 per round (min / median / max), the top op, and the wall time of the
per-op run against a plain `bench` of the same model (the anchor). The tests accept any ratio within
``toolkit.bench.per_op.RATIO_BAND``; these are the figures behind that band.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.harness import Context, Row, Section, Spread, run_child
from benchmarks.models import ensure

TITLE = "`bench --per-op` (isolated-op method): sum of op times vs the whole model, and its cost"
RUNS = 10


def _bench(ctx: Context, model: Path, target: str, per_op: bool) -> tuple[dict, float]:
    argv = ctx.edgetk("bench", model, "--target", target, "--runs", RUNS, "--warmup", 2, "--json", "--no-store",
                      *(["--per-op"] if per_op else []))
    start = time.perf_counter()
    doc = json.loads(run_child(argv, env=ctx.env, ok_codes=(0,)).stdout)
    return doc, time.perf_counter() - start


def _models() -> dict[str, tuple[Path, str]]:
    from benchmarks.corpus import corpus_model
    from benchmarks.mlperf_tiny_models import ensure_models

    return {"MobileNetV2": (ensure("mobilenetv2")["mobilenetv2"], "host-x86_64"),
            "MediaPipe hand_recrop": (corpus_model("mediapipe/hand_recrop.tflite"), "host-x86_64"),
            "tiny conv (emulated Pi 4)": (ensure_models(["tiny-float"])["tiny-float"], "rpi4-arm64")}


def measure(ctx: Context) -> Section:
    rows, lines = [], []
    for name, (model, target) in _models().items():
        ratios, per_op_s, plain_s, last = [], [], [], None
        for _ in range(max(ctx.rounds, 1)):
            _, plain = _bench(ctx, model, target, per_op=False)
            doc, timed = _bench(ctx, model, target, per_op=True)
            ratios.append(doc["per_op"]["ratio"])
            per_op_s.append(timed)
            plain_s.append(plain)
            last = doc
        p = last["per_op"]
        top = max(p["ops"], key=lambda op: op["ms"])
        rows.append(Row("P11", f"{name} on {target}: bench --per-op wall time ({p['counts']['timed']} ops timed, "
                        f"{p['counts']['skipped']} skipped, {p['counts']['failed']} failed)",
                        Spread(tuple(per_op_s)), Spread(tuple(plain_s)), "plain bench (same model, target)"))
        spread = Spread(tuple(ratios))
        lines.append(f"| {name} | {target} | {p['timing']} | {spread.min:.2f} / {spread.median:.2f} / "
                     f"{spread.max:.2f} | {p['sum_ms']:.3f} | {p['whole_ms']:.3f} | {top['op']} #{top['index']} "
                     f"({top['share']:.0%}) |")
    text = ("| model | target | timing | ratio sum/whole (min / median / max) | sum ms (last) | whole p50 ms (last) "
            "| top op (last) |\n|---|---|---|---|---|---|---|\n" + "\n".join(lines) +
            f"\n\n{RUNS} timed runs per op and for the whole model. A ratio far from 1 means the isolated figures "
            "rank ops but do not decompose the latency: an op alone keeps its weights and activations in cache, "
            "and on a loaded host short runs are preempted less than a whole-model run. The tests accept ratios "
            "in toolkit.bench.per_op.RATIO_BAND (0.1-3.0) on host LiteRT. Wall time: one runner process per op "
            "(the same runner and transport as the whole model), so it grows with the op count.")
    return Section("P11", TITLE, rows, text)
