"""`edgetk bench` as text: one target's latency with its provenance, or the fleet side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolkit.bench.bench_run import BenchRun, FleetRun


def print_bench_run(run: BenchRun | FleetRun) -> None:
    """One target's result, or the fleet side by side (each failed device's reason below it), on stdout."""
    if isinstance(run, FleetRun):
        from rich.console import Console

        console = Console(highlight=False)
        console.print(fleet_table(run.results))
        for line in fleet_failures(run.results):
            console.print(line)
    else:
        render(run.document())


#: the fleet's columns; the figures and their provenance never wrap, the names fold (nothing is cut off)
FLEET_COLUMNS = (("device", "fold"), ("target", "fold"), ("runtime", "fold"), ("p50 ms", None),
                 ("p90 ms", None), ("runs", None), ("timing", None))


def fleet_table(results: Sequence[Any]) -> Any:
    """The fleet side by side: one row per device (a rich Table) that an 80-column CI log shows whole."""
    from rich.table import Table

    from toolkit.report.markup import markup_safe as m

    table = Table(title="fleet", title_justify="left")
    for col, overflow in FLEET_COLUMNS:
        table.add_column(col, justify="right" if col.endswith(("ms", "runs")) else "left",
                         overflow=overflow or "ellipsis", no_wrap=overflow is None)
    for r in results:
        who = f"{m(r.device)} ({m(r.transport)})"
        if not r.ok:
            table.add_row(who, m(r.target), "", "-", "-", "-", "[red]FAILED[/]")
            continue
        lat, runner = r.result.latency_ms, r.result.runner
        rt, arch = runner.get("runtime") or {}, (runner.get("device") or {}).get("arch")
        table.add_row(
            who, m(r.target), m(f"{rt.get('name')} {rt.get('version')}" + (f" on {arch}" if arch else "")),
            _p50(lat), _ms(lat.get("p90")), str(lat.get("runs", "-")),
            m(r.result.timing + (f", {r.result.delegate}" if r.result.delegate else "")),
        )  # benchmark_model prints no p90 and a refused GPU run no figures: "-", never a made-up 0
    return table


def _p50(lat: dict) -> str:
    """The median, the figure every other output leads with; an older benchmark_model prints no median, and
    then its mean stands there, saying so."""
    if lat.get("p50") is None and lat.get("mean") is not None:
        return f"{_ms(lat['mean'])} avg"
    return _ms(lat.get("p50"))


def fleet_failures(results: Sequence[Any]) -> list[str]:
    """One line per failed device, below the table: its reason whole (a table cell would cut it)."""
    from toolkit.report.markup import markup_safe as m

    return [f"[red]{m(r.device)}: FAILED[/]: {m(r.error or 'no reason given')}" for r in results if not r.ok]


def _render_accelerator(console: Any, acc: dict[str, Any]) -> None:
    from toolkit.report.markup import markup_safe as escape  # op names and messages: inert, never markup

    split = ("every op on the GPU" if acc["coverage"] == "full" else
             f"{acc['gpu_ops']} ops on the GPU, {acc['cpu_ops']} on the CPU" if acc["coverage"] == "partial" else
             "nothing ran on the GPU")
    console.print(f"GPU coverage [bold]{acc['coverage']}[/] ({escape(acc['evidence'])}): {acc['partitions']} "
                  f"partition(s), {split}")
    for reason in acc.get("reasons", []):
        console.print(f"  {escape(reason['op'])}: {escape(reason['message'] or 'no reason given')}")
    tol = acc["numerics_tolerance"]
    verdict = {True: "[green]pass[/]", False: "[red bold]FAIL[/]", None: "not compared"}[acc["numerics_passed"]]
    console.print(f"numerics GPU vs LiteRT CPU (fp16 {'off' if acc['enforce_f32'] else 'allowed'}, tolerance "
                  f"{tol['atol']:g} + {tol['rtol_of_output_range']:g} x output range): {verdict}")
    for n in acc.get("numerics", []):
        console.print(f"  {escape(n['name'])}: max |diff| {n['max_abs']:.3g}, relative to range {n['max_rel']:.3g}")


def _ms(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "-"


def _memory(runner: dict[str, Any]) -> str:
    mem = runner.get("memory_mb")  # benchmark_model: its footprint lines, not an RSS
    if mem is not None:
        return (f"memory footprint {_ms(mem.get('overall'))} MB, peak {_ms(mem.get('peak'))} MB "
                "(benchmark_model)")
    return f"peak RSS {runner.get('peak_rss_bytes', 0) / 2**20:.1f} MiB"


def render(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from toolkit.provenance import SHORT_NOTES, UNKNOWN, with_delegate
    from toolkit.report.markup import markup_safe as m
    from toolkit.text import inert

    console = Console(highlight=False)
    runner = doc["runner"]
    rt, dev = runner.get("runtime", {}), runner.get("device", {})
    name, target, transport = (inert(str(x)) for x in (Path(doc["model"]["path"]).name, doc["target"], doc["transport"]))
    where = f"{name} on {target} via {transport}"
    first, *rest = _phrase_lines([where, inert(f"— {rt.get('name')} {rt.get('version')},"),
                                  inert(f"{dev.get('arch')} {dev.get('cpu_model') or ''}".rstrip())], console.width)
    console.print(f"[bold]{m(name)}[/] on [bold]{m(target)}[/] via {m(transport)}{m(first[len(where):])}")
    for line in rest:
        console.print(m(line))
    head = doc.get("headline") or {}
    short = with_delegate(SHORT_NOTES.get(head.get("timing"), head.get("timing")), head.get("delegate"))
    console.print(f"[bold]latency p50 {_ms(head.get('p50_ms'))} ms[/] ({short})")
    timing = doc.get("timing") or UNKNOWN
    source = "benchmark_model" if runner.get("tool") else "runner"
    where = f"{timing}, {head['delegate']} delegate" if head.get("delegate") else SHORT_NOTES.get(timing, timing)
    table = Table(title=f"{source} latency, ms ({where})", title_justify="left")
    lat = runner.get("latency_ms", {})
    for key in ("runs", "min", "mean", "p50", "p90", "p99", "max", "std"):
        table.add_column(key, justify="right")
    table.add_row(str(lat.get("runs")), *(_ms(lat.get(k)) for k in ("min", "mean", "p50", "p90", "p99", "max", "std")))
    console.print(table)
    if runner.get("accelerator"):  # the accelerator child measures load + compile and the timed runs only
        console.print(f"load + shader compile {_ms(runner.get('init_ms'))} ms ({timing})")
        _render_accelerator(console, runner["accelerator"])
    else:
        console.print(
            f"init {_ms(runner.get('init_ms'))} ms · first inference {_ms(runner.get('first_inference_ms'))} ms · "
            f"warm-up mean {_ms(runner.get('warmup_mean_ms'))} ms ({timing})"
        )
        console.print(f"{_memory(runner)} ({timing})")
        if runner.get("tool") and runner.get("options", {}).get("gpu"):
            from toolkit.report.phone_gpu_text import render_phone_gpu

            render_phone_gpu(console, runner)
    if runner.get("arena"):
        console.print(f"TFLM arena: {runner['arena'].get('total_bytes', '?'):,} bytes ({timing}: TFLM on this host)")
    if doc.get("roofline"):
        r = doc["roofline"]
        note = f" ({r.get('timing')} timing: not meaningful for the device)" if r.get("timing") not in (
            "measured", "estimated") else ""
        if r.get("estimated"):
            note = f" (estimated: against the MCU latency estimate {_ms(r['latency_ms'])} ms)"
        if not note:  # the ideal is the cost model's MACs over the descriptor's peak: an estimate beside a timing
            note = f" (ideal estimated; against the {r.get('timing')} p50)"
        console.print(f"roofline: ideal {_ms(r['ideal_ms'])} ms at peak → efficiency {r['efficiency']:.1%}{note}")
    if doc.get("mcu_estimate"):
        _render_mcu(console, doc["mcu_estimate"])
    if doc.get("per_op"):
        from toolkit.report.per_op_text import render_per_op

        render_per_op(console, doc["per_op"])
    for finding in doc.get("findings", []):
        style = {"error": "red", "warning": "yellow"}.get(finding["severity"], "dim")
        console.print(f"[{style}]{m(finding['severity'])}[/]: {m(finding['message'])}")
    if doc.get("id") is not None:
        console.print(f"[dim]stored as result {doc['id']}[/]")
    change = doc.get("previous")
    if change:
        style = "bold red" if change["regression"] else "green" if change["verdict"] == "faster" else "dim"
        console.print(f"[{style}]vs previous[/]: {m(change['message'])}")


def _phrase_lines(phrases: list[str], width: int, indent: str = "  ") -> list[str]:
    """``phrases`` packed into lines of ``width``, a break falling between two phrases only: a CI log at 80
    columns reads "(the binary reports no version)" whole. A phrase wider than a line is left to the console."""
    lines = [phrases[0]]
    for phrase in phrases[1:]:
        if len(lines[-1]) + 1 + len(phrase) <= width:
            lines[-1] += " " + phrase
        else:
            lines.append(indent + phrase)
    return lines


def _render_mcu(console: Any, m: dict[str, Any]) -> None:
    """The MCU estimate: figure, kernel family and its calibration error, then the top ops by cycles."""
    from rich.table import Table

    from toolkit.report.markup import markup_safe

    console.print(
        f"[bold]MCU latency (estimated)[/]: {m['latency_ms']:.1f} ms at {m['clock_hz'] / 1e6:g} MHz, "
        f"{m['kernels']} kernels ({m.get('kernel_class', m['kernels'])}) — calibration: {m['calibration_error']}"
    )
    if m.get("note"):
        console.print(f"[yellow]note[/]: {markup_safe(m['note'])}")
    top = m.get("top_ops") or []
    if top:
        table = Table(title="top ops by estimated cycles (estimated)", title_justify="left")
        for key, justify in (("#", "right"), ("op", "left"), ("Mcycles", "right"), ("ms", "right"), ("share", "right")):
            table.add_column(key, justify=justify)  # type: ignore[arg-type]
        for op in top:
            table.add_row(str(op["index"]), markup_safe(op["op"]), f"{op['cycles'] / 1e6:.2f}", f"{op['ms']:.2f}", f"{op['share']:.0%}")
        console.print(table)
