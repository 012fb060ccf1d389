"""P8: does every bench result report its efficiency against the roofline (MACs / descriptor peak MAC rate)?

`edgetk bench --json` is run once per (model, target) and its `roofline` block tabulated as-is. TFLM
targets' efficiency is against the *estimated* MCU latency (the host-run TFLM timing says nothing about
the MCU's clock), and is labelled so. The loop-form LSTM rows show the cost model's WHILE trip counts:
its MACs are the 100 steps', not one step's.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness import Context, Row, Section, run_child
from benchmarks.mlperf_tiny_models import ensure_models
from benchmarks.models import ensure

TITLE = "Efficiency vs the roofline in every `edgetk bench --json` result"
RUNS = {"host-x86_64": 20, "rpi4-arm64": 3, "rpi5-arm64": 3, "rpi-zero2-armhf": 3, "cortex-m4": 5,
        "cortex-m7": 5, "esp32-s3": 5}
NOT_RUNNABLE_HERE = {"android-arm64": "needs an Android phone over adb (none here); same roofline code path as SSH"}


def bench(ctx: Context, model: Path, target: str) -> dict:
    argv = ctx.edgetk("bench", model, "--target", target, "--runs", RUNS[target], "--warmup", 1, "--json", "--no-store")
    return json.loads(run_child(argv, env=ctx.env, ok_codes=(0,)).stdout)


def table_line(model: str, target: str, doc: dict) -> tuple[str, bool]:
    roof, mcu = doc.get("roofline"), doc.get("mcu_estimate")
    if roof:
        timing = roof.get("timing") or ("emulated" if roof.get("emulated") else "measured")
        if timing == "estimated":
            timing = "estimated (MCU cycle model" + (f", {mcu['kernels']} kernels)" if mcu else ")")
        latency = roof.get("latency_ms", roof.get("measured_ms"))
        return (f"| {model} | {target} | {roof['total_macs']:,} | {roof['peak_macs_per_s'] / 1e9:g} | "
                f"{roof['ideal_ms']:.4g} | {latency:.4g} | {roof['efficiency']:.1%} | {timing} |", True)
    if mcu:
        return (f"| {model} | {target} | — | — | — | — | — | no roofline; MCU estimate {mcu['latency_ms']:.1f} ms "
                f"({mcu['kernels']} kernels) |", False)
    return f"| {model} | {target} | — | — | — | — | — | no roofline, no estimate |", False


def lstm_loop_model(ctx: Context) -> Path:
    """P5's LSTM (100 steps, 128 units) in its WHILE-loop form, converted by edgetk (not timed)."""
    out = ctx.work / "p8-lstm-loop.tflite"
    if not out.exists():
        source = ensure("lstm-keras")["lstm-keras"]
        run_child(ctx.edgetk("convert", source, "-o", out, "--rnn", "loop", "--no-verify"), env=ctx.env, ok_codes=(0,))
    return out


def _armhf_image_ready() -> str | None:
    """None when the armhf emulator image can be used, else why not (it is built on demand, from the network)."""
    try:
        from toolkit.emulator import ensure_image

        ensure_image("debian12-armhf")
    except Exception as exc:  # noqa: BLE001 - reported in the table instead of the row
        return f"armhf emulator image unavailable ({type(exc).__name__}: {str(exc).strip()[:120]})"
    return None


def measure(ctx: Context) -> Section:
    models = {"MobileNetV2": ensure("mobilenetv2")["mobilenetv2"], "tiny conv": ensure_models(["tiny-float"])["tiny-float"],
              "LSTM loop (100 steps)": lstm_loop_model(ctx)}
    plan = [("MobileNetV2", "host-x86_64"), ("MobileNetV2", "rpi4-arm64"), ("tiny conv", "host-x86_64"),
            ("tiny conv", "rpi4-arm64"), ("tiny conv", "rpi5-arm64"), ("tiny conv", "rpi-zero2-armhf"),
            ("tiny conv", "cortex-m4"), ("tiny conv", "cortex-m7"), ("tiny conv", "esp32-s3"),
            ("LSTM loop (100 steps)", "host-x86_64"), ("LSTM loop (100 steps)", "cortex-m4")]
    skipped = dict(NOT_RUNNABLE_HERE)
    armhf = _armhf_image_ready()
    if armhf:
        skipped["rpi-zero2-armhf"] = armhf
        plan = [(m, t) for m, t in plan if t != "rpi-zero2-armhf"]
    lines, reported = [], {}
    for name, target in plan:
        line, ok = table_line(name, target, bench(ctx, models[name], target))
        lines.append(line)
        reported[target] = reported.get(target, True) and ok
    lines += [f"| — | {target} | — | — | — | — | — | not run here: {why} |" for target, why in skipped.items()]
    missing = sorted(t for t, ok in reported.items() if not ok)
    row = Row("P8", f"roofline block present in bench --json ({len(reported) - len(missing)} of {len(reported)} "
              "targets benched here" + (f"; not runnable here: {', '.join(skipped)}" if skipped else "") + ")",
              goal="reported per target", met=not missing, note=("missing for " + ", ".join(missing)) if missing else "")
    head = ("| model | target | MACs | peak GMAC/s (descriptor) | ideal ms | latency ms | efficiency | timing |\n"
            "|---|---|---|---|---|---|---|---|\n")
    text = head + "\n".join(lines) + (
        "\n\nlatency ms is the measured p50 (emulated: qemu-user's, only a relative figure) or, for TFLM targets, "
        "the estimated MCU latency (docs/MCU_ESTIMATE.md): TFLM's kernels run on this x86 host here, so its "
        "measured time says nothing about the MCU. MACs count WHILE bodies once per iteration when the trip count "
        "is static (the LSTM's 100 steps), as `edgetk inspect` does.")
    return Section("P8", TITLE, [row], text)
