"""Growth curves: inspect/check time vs model size, bench overhead vs runs, fleet time vs device count.

Plotted (matplotlib, Agg) to docs/perf/*.svg next to docs/PERFORMANCE.md. Rows give the endpoints; the
plots show every point with its min–max range over the rounds.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import loopback
from benchmarks.harness import Context, Row, Sample, Section, Spread, interleave, run_child, spread
from benchmarks.mlperf_tiny_models import ensure_models
from benchmarks.models import DENSE_SIZES_MB, ensure

TITLE = "Growth: inspect/check vs model size, bench overhead vs runs, fleet time vs devices"
BENCH_RUNS = (1, 10, 100, 1000)
FLEET_SIZES = (1, 2, 4)
FLEET_USERS = [f"edgetk-perf{i}" for i in range(1, 5)]


def plot(path: Path, title: str, xlabel: str, ylabel: str, series: dict[str, tuple[list[float], list[Spread]]],
         logx: bool = False) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, (xs, spreads) in series.items():
        med = [s.median for s in spreads]
        err = [[m - s.min for m, s in zip(med, spreads, strict=True)], [s.max - m for m, s in zip(med, spreads, strict=True)]]
        ax.errorbar(xs, med, yerr=err, marker="o", capsize=3, label=label)
    if logx:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    return f"![{title}](perf/{path.name})"


def size_curve(ctx: Context) -> tuple[list[Row], str]:
    paths = ensure(*(f"dense-{mb}mb" for mb in DENSE_SIZES_MB))
    fns = {}
    for mb in DENSE_SIZES_MB:
        model = paths[f"dense-{mb}mb"]
        fns[("inspect", mb)] = ctx.child(ctx.edgetk("inspect", model), ok_codes=(0,))
        fns[("check", mb)] = ctx.child(ctx.edgetk("check", model, "--all-targets"))
    runs = interleave(fns, ctx.rounds)
    series = {verb: ([float(mb) for mb in DENSE_SIZES_MB], [spread(runs[(verb, mb)]) for mb in DENSE_SIZES_MB])
              for verb in ("inspect", "check")}
    lo, hi = DENSE_SIZES_MB[0], DENSE_SIZES_MB[-1]
    rows = [Row("growth", f"{verb}: {hi} MB Dense stack vs {lo} MB", spread(runs[(verb, hi)]), spread(runs[(verb, lo)]),
                f"same command, {lo} MB model") for verb in ("inspect", "check")]
    img = plot(ctx.plots / "size.svg", "inspect / check vs model size (cold process)", "model size (MB, Dense stack)",
               "wall time (s)", series, logx=True)
    return rows, img


def runs_curve(ctx: Context) -> tuple[list[Row], str]:
    model = ensure_models(["tiny-float"])["tiny-float"]
    p50: dict[int, list[float]] = {n: [] for n in BENCH_RUNS}

    def bench(n: int):
        argv = ctx.edgetk("bench", model, "--target", "host-x86_64", "--runs", n, "--warmup", 0, "--json", "--no-store")

        def once() -> Sample:
            s = run_child(argv, env=ctx.env, ok_codes=(0,))
            lat = json.loads(s.stdout)["runner"]["latency_ms"]
            p50[n].append(lat["mean"] * n / 1000)  # time spent inside timed inferences
            return Sample(s.seconds - lat["mean"] * n / 1000, s.peak_rss_mb)
        return once

    runs = interleave({n: bench(n) for n in BENCH_RUNS}, ctx.rounds)
    overhead = [spread(runs[n]) for n in BENCH_RUNS]
    img = plot(ctx.plots / "bench_overhead.svg", "bench overhead (wall − timed inferences) vs runs",
               "--runs", "overhead (s)", {"host-x86_64, tiny conv net": ([float(n) for n in BENCH_RUNS], overhead)},
               logx=True)
    rows = [Row("growth", f"bench overhead at --runs {BENCH_RUNS[-1]} vs --runs {BENCH_RUNS[0]} "
                          "(wall minus time inside inferences)", overhead[-1], overhead[0], f"--runs {BENCH_RUNS[0]}")]
    return rows, img


def fleet_curve(ctx: Context) -> tuple[list[Row], str]:
    model = ensure_models(["tiny-float"])["tiny-float"]
    srv = loopback.start(ctx.work / "sshd-fleet", FLEET_USERS, arm_image=loopback.arm_image_for_device_users())
    try:
        inv = loopback.write_inventory(ctx.work / "fleet.toml", srv, FLEET_USERS)
        fns = {}
        for n in FLEET_SIZES:
            devices = [arg for user in FLEET_USERS[:n] for arg in ("--device", user)]
            fns[n] = ctx.child(ctx.edgetk("bench", model, *devices, "--inventory", inv, "--runs", 5, "--warmup", 1,
                                          "--no-store", "--json"), ok_codes=(0,))
        runs = interleave(fns, ctx.rounds)
    finally:
        srv.stop()
    spreads = [spread(runs[n]) for n in FLEET_SIZES]
    img = plot(ctx.plots / "fleet.svg", "fleet bench vs number of devices", "devices (loopback SSH, arm64 under qemu)",
               "wall time (s)", {"edgetk bench --device ×N": ([float(n) for n in FLEET_SIZES], spreads)})
    rows = [Row("growth", f"fleet bench on {FLEET_SIZES[-1]} loopback SSH devices vs 1 (2 host cores; "
                          "device Python is arm64 under qemu)", spreads[-1], spreads[0], "1 device")]
    return rows, img


def measure(ctx: Context) -> Section:
    rows, images = [], []
    for curve in (size_curve, runs_curve, fleet_curve):
        try:
            r, img = curve(ctx)
        except Exception as exc:  # noqa: BLE001 - one missing piece must not hide the other curves
            r, img = [Row("growth", curve.__name__.replace("_", " "), note=f"not measured: {type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else ''}")], ""
        rows += r
        images += [img] if img else []
    return Section("growth", TITLE, rows, "\n\n".join(images))
