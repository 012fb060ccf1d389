"""P8: does every bench result report its efficiency against the roofline (MACs / descriptor peak MAC rate)?

`edgetk bench --json` is run once per (model, target) and its `roofline` block tabulated as-is. TFLM
targets report an MCU latency estimate instead (host-run timing says nothing about the MCU's clock).
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness import Context, Row, Section, run_child
from benchmarks.mlperf_tiny_models import ensure_models
from benchmarks.models import ensure

TITLE = "Efficiency vs the roofline in every `edgetk bench --json` result"
RUNS = {"host-x86_64": 20, "rpi4-arm64": 3, "rpi5-arm64": 3, "cortex-m4": 5}


def bench(ctx: Context, model: Path, target: str) -> dict:
    argv = ctx.edgetk("bench", model, "--target", target, "--runs", RUNS[target], "--warmup", 1, "--json", "--no-store")
    return json.loads(run_child(argv, env=ctx.env, ok_codes=(0,)).stdout)


def table_line(model: str, target: str, doc: dict) -> tuple[str, bool]:
    roof, mcu = doc.get("roofline"), doc.get("mcu_estimate")
    if roof:
        return (f"| {model} | {target} | {roof['total_macs']:,} | {roof['peak_macs_per_s'] / 1e9:g} | "
                f"{roof['ideal_ms']:.4g} | {roof['measured_ms']:.4g} | {roof['efficiency']:.1%} | "
                f"{'emulated' if roof.get('emulated') else 'measured'} |", True)
    if mcu:
        return (f"| {model} | {target} | — | — | — | — | — | no roofline; MCU estimate {mcu['latency_ms']:.1f} ms "
                f"({mcu['kernels']} kernels) |", False)
    return f"| {model} | {target} | — | — | — | — | — | no roofline, no estimate |", False


def measure(ctx: Context) -> Section:
    models = {"MobileNetV2": ensure("mobilenetv2")["mobilenetv2"], "tiny conv": ensure_models(["tiny-float"])["tiny-float"]}
    plan = [("MobileNetV2", "host-x86_64"), ("MobileNetV2", "rpi4-arm64"), ("tiny conv", "host-x86_64"),
            ("tiny conv", "rpi4-arm64"), ("tiny conv", "rpi5-arm64"), ("tiny conv", "cortex-m4")]
    lines, reported = [], {}
    for name, target in plan:
        line, ok = table_line(name, target, bench(ctx, models[name], target))
        lines.append(line)
        reported[target] = reported.get(target, True) and ok
    missing = sorted(t for t, ok in reported.items() if not ok)
    row = Row("P8", f"roofline block present in bench --json ({len(reported) - len(missing)} of {len(reported)} "
              "targets)", goal="reported per target", met=not missing,
              note=("missing for " + ", ".join(missing)) if missing else "")
    head = ("| model | target | MACs | peak GMAC/s (descriptor) | ideal ms | measured p50 ms | efficiency | timing |\n"
            "|---|---|---|---|---|---|---|---|\n")
    text = head + "\n".join(lines) + (
        "\n\nEmulated timings are qemu-user's, not a Pi's: their efficiency is only a relative figure. "
        "Known gap: the cost model counts a WHILE body once, not per iteration, so a loop-form LSTM's MACs (and "
        "the MCU estimate built on them) are undercounted ~100× for 100 steps (seen in P5's models).")
    return Section("P8", TITLE, [row], text)
