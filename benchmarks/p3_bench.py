"""P3: `edgetk bench` (local, MobileNetV2, 1 thread) vs ai_edge_litert's own benchmark_litert_model.py.

Same model, threads, warm-up and run counts; each round runs both tools once (interleaved) and compares the
median per-inference latency each reports. The vendor tool uses LiteRT's CompiledModel API (CPU/XNNPACK);
edgetk's runner uses the Interpreter with XNNPACK, so agreement says edgetk measures what LiteRT delivers.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness import Context, Row, Sample, Section, Spread, interleave, spread
from benchmarks.models import ensure

TITLE = "`edgetk bench` local (MobileNetV2, 1 thread) vs LiteRT's benchmark_litert_model.py"
RUNS, WARMUP, TOLERANCE = 50, 5, 0.05


def vendor_tool() -> Path:
    import ai_edge_litert

    return Path(ai_edge_litert.__file__).parent / "tools" / "benchmark_litert_model.py"


def measure(ctx: Context) -> Section:
    model = ensure("mobilenetv2")["mobilenetv2"]
    result_json = ctx.work / "vendor.json"
    ours = ctx.child(ctx.edgetk("bench", model, "--target", "host-x86_64", "--threads", 1, "--runs", RUNS,
                                "--warmup", WARMUP, "--json", "--no-store"), ok_codes=(0,))
    theirs = ctx.child([*ctx.python("")[:1], str(vendor_tool()), f"--model={model}", "--num_threads=1",
                        f"--num_runs={RUNS}", f"--warmup_runs={WARMUP}", f"--result_json={result_json}"],
                       ok_codes=(0,))
    latencies: dict[str, list[float]] = {"edgetk": [], "anchor": [], "edgetk-min": [], "anchor-min": []}

    def edgetk_run() -> Sample:
        s = ours()
        lat = json.loads(s.stdout)["runner"]["latency_ms"]
        latencies["edgetk"].append(lat["p50"] / 1000)
        latencies["edgetk-min"].append(lat["min"] / 1000)
        return s

    def vendor_run() -> Sample:
        s = theirs()
        lat = json.loads(result_json.read_text())["latency"]
        latencies["anchor"].append(lat["median_ms"] / 1000)
        latencies["anchor-min"].append(lat["min_ms"] / 1000)
        return s

    runs = interleave({"edgetk": edgetk_run, "anchor": vendor_run}, ctx.rounds)
    lat_ours, lat_theirs = Spread(tuple(latencies["edgetk"])), Spread(tuple(latencies["anchor"]))
    deviation = lat_ours.median / lat_theirs.median - 1
    rows = [
        Row("P3", f"median inference latency per round ({RUNS} runs, {WARMUP} warm-up, 1 thread)", lat_ours,
            lat_theirs, "benchmark_litert_model.py", goal=f"medians within ±{TOLERANCE:.0%}",
            met=abs(deviation) <= TOLERANCE, note=f"{deviation:+.1%}"),
        Row("P3", "fastest inference per round (the floor, least disturbed by other load)",
            Spread(tuple(latencies["edgetk-min"])), Spread(tuple(latencies["anchor-min"])),
            "benchmark_litert_model.py"),
        Row("P3", "whole command wall time (process start, load, warm-up, runs)", spread(runs["edgetk"]),
            spread(runs["anchor"]), "benchmark_litert_model.py"),
    ]
    return Section("P3", TITLE, rows)
