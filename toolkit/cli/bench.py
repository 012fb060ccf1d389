"""`edgetk bench MODEL --target NAME`: run the model on the target's device and show latency statistics."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import typer

from toolkit.cli.options import (
    ask_password_option,
    inventory_option,
    seconds_option,
    trust_new_host_key_option,
)


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    model: Path = typer.Argument(..., help="The .tflite model to run."),
    target: str = typer.Option(None, "--target", "-t", help="Target descriptor name (see `edgetk targets list`)."),
    device: list[str] = typer.Option(None, "--device", help="Device(s) from devices.toml; repeat for a fleet run."),
    all_devices: bool = typer.Option(False, "--all-devices", help="Fleet run on every device in devices.toml."),
    inventory: Path = inventory_option(),
    max_parallel: int = typer.Option(4, "--max-parallel", min=1, help="Fleet: devices benched at once."),
    trust_new_host_key: bool = trust_new_host_key_option(),
    ask_password: bool = ask_password_option(),
    runs: int = typer.Option(50, "--runs", min=1, help="Timed inferences."),
    warmup: int = typer.Option(5, "--warmup", min=0, help="Untimed inferences before timing."),
    threads: int = typer.Option(None, "--threads", min=1, help="Interpreter threads (LiteRT / tflite-runtime)."),
    no_xnnpack: bool = typer.Option(False, "--no-xnnpack", help="Use the built-in CPU kernels only."),
    inputs: Path = typer.Option(None, "--inputs", help=".npz with one array per input (default: seeded random)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the generated inputs."),
    runtime: str = typer.Option(None, "--runtime", help="Override the target's runtime (litert, tflite-runtime, tflm)."),
    kernels: str = typer.Option(None, "--kernels", help="TFLM targets: kernel family of the MCU latency estimate "
                                "(reference, cmsis-nn, esp-nn; default: the descriptor's [runtime] kernels)."),
    timeout: float = seconds_option(600.0, "--timeout", "Seconds before the run is abandoned."),
    accelerator: str = typer.Option(None, "--accelerator", help="gpu: without --device, LiteRT's GPU accelerator on "
                                    "this machine (software GPU: partitions and numerics, not a phone's latency); "
                                    "with an adb --device, benchmark_model --use_gpu on the phone (measured) and "
                                    "inference_diff numerics when its entry names inference_diff_binary."),
    per_op: bool = typer.Option(False, "--per-op", help="Also time every op alone on the same device and runtime "
                                "(isolated-op method): top ops, and their sum against the whole model."),
    as_json: bool = typer.Option(False, "--json", help="Print the edgetk.bench/1 JSON document."),
    db: Path = typer.Option(None, "--db", help="Results database (default: the user's data dir)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not append the result to the results database."),
) -> None:
    """Benchmark MODEL on a target: local, emulated Raspberry Pi, TFLM (with an estimated MCU latency)."""
    from toolkit.bench import BenchOptions, ResultsStore, bench_model
    from toolkit.bench.mcu_estimate import KERNEL_FAMILIES
    from toolkit.bench.store import store_results
    from toolkit.errors import BadInputError, UnknownNameError
    from toolkit.targets import load_registry

    if runtime is not None and runtime not in ("litert", "tflite-runtime", "tflm"):
        raise UnknownNameError("runtime", runtime, ["litert", "tflite-runtime", "tflm"])
    if accelerator is not None and accelerator != "gpu":
        raise UnknownNameError("accelerator", accelerator, ["gpu"])
    if kernels is not None and kernels not in KERNEL_FAMILIES:
        raise UnknownNameError("kernel family", kernels, list(KERNEL_FAMILIES))
    options = BenchOptions(
        runs=runs, warmup=warmup, threads=threads, xnnpack=not no_xnnpack, inputs=inputs, seed=seed,
        timeout=timeout, runtime=runtime, kernels=kernels, per_op=per_op, accelerator=accelerator,
    )  # fmt: skip
    if all_devices or len(device or []) > 1 or (device and target is None):  # fleet: toolkit.bench.fleet
        from toolkit.bench.fleet import fleet_cli

        code = fleet_cli(model, device or [], all_devices=all_devices, inventory=inventory, options=options,
                         max_parallel=max_parallel, trust_new_host_key=trust_new_host_key, as_json=as_json,
                         store=not no_store, db=db, ask_password=ask_password)
        raise typer.Exit(code)
    if target is None:
        raise BadInputError("--target is required (or --device NAME / --all-devices from devices.toml)")
    descriptor = load_registry().get(target)
    transport = None
    if device:  # one device with an explicit --target: its transport from the same inventory as a fleet run
        from toolkit.devices import transport_for_device

        transport = transport_for_device(device[0], inventory=inventory, trust_new_host_key=trust_new_host_key,
                                         ask_password=ask_password)
    where = f"{target}" + (f" via {device[0]}" if device else "")
    if accelerator is not None and per_op and not device:
        raise BadInputError("--per-op times ops on a device's runtime; with --accelerator gpu here, read the "
                            "accelerator's partitions instead (drop one of the two)")
    if accelerator is not None and not device:  # here: LiteRT's GPU accelerator; on a phone: benchmark_model
        result = _bench_accelerator(model, descriptor, options)
    else:
        with _busy(f"benchmarking {model.name} on {where}: {warmup} warm-up + {runs} timed runs"
                   + (", then every op alone (one runner process for all)" if per_op else ""), ask_password):
            result = bench_model(model, descriptor, device=device[0] if device else None, options=options,
                                 transport=transport)
    doc = result.to_dict()
    stored = store_results([result], db) if not no_store else None
    if stored and stored.ids[0] is not None:
        from toolkit.bench.history import change_since_previous
        from toolkit.errors import ToolkitError

        doc["id"] = stored.ids[0]
        try:
            change = change_since_previous(ResultsStore(db), doc["id"])
        except ToolkitError:  # the comparison is a courtesy; the result is stored and printed regardless
            change = None
        doc["previous"] = change.to_dict() if change else None
    if as_json:  # printed whatever the store did: a finished measurement is never discarded
        typer.echo(json.dumps(doc, indent=2))
    else:
        render(doc)
    if stored and stored.error:
        typer.echo(stored.warning(), err=True)
        raise typer.Exit(stored.exit_code)
    if result.has_errors:  # the model does not fit the target's RAM or flash (docs/EXIT_CODES.md)
        raise typer.Exit(1)


def _bench_accelerator(model: Path, descriptor: Any, options: Any) -> Any:
    from toolkit.bench.gpu_bench import bench_gpu

    with _busy(f"running {model.name} through LiteRT's GPU accelerator (SwiftShader)", False):
        return bench_gpu(model, descriptor, options=options)


def _render_accelerator(console: Any, acc: dict[str, Any]) -> None:
    from rich.markup import escape

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


def _busy(message: str, prompting: bool) -> AbstractContextManager[Any]:
    """A spinner on stderr while the device works (only on a terminal, and never over a password prompt)."""
    from rich.console import Console

    console = Console(stderr=True)
    return console.status(message) if console.is_terminal and not prompting else nullcontext()


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
    from rich.markup import escape
    from rich.table import Table

    from toolkit.provenance import SHORT_NOTES, with_delegate
    from toolkit.text import inert

    console = Console(highlight=False)
    runner = doc["runner"]
    rt, dev = runner.get("runtime", {}), runner.get("device", {})
    console.print(
        f"[bold]{Path(doc['model']['path']).name}[/] on [bold]{doc['target']}[/] via {doc['transport']}"
        f" — {rt.get('name')} {rt.get('version')}, {dev.get('arch')} {dev.get('cpu_model') or ''}".rstrip()
    )
    head = doc.get("headline") or {}
    short = with_delegate(SHORT_NOTES.get(head.get("timing"), head.get("timing")), head.get("delegate"))
    console.print(f"[bold]latency p50 {_ms(head.get('p50_ms'))} ms[/] ({short})")
    timing = doc.get("timing", "measured")
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
        console.print(f"TFLM arena: {runner['arena'].get('total_bytes', '?'):,} bytes (measured)")
    if doc.get("roofline"):
        r = doc["roofline"]
        note = f" ({r.get('timing')} timing: not meaningful for the device)" if r.get("timing") not in (
            "measured", "estimated") else ""
        if r.get("estimated"):
            note = f" (estimated: against the MCU latency estimate {_ms(r['latency_ms'])} ms)"
        console.print(f"roofline: ideal {_ms(r['ideal_ms'])} ms at peak → efficiency {r['efficiency']:.1%}{note}")
    if doc.get("mcu_estimate"):
        _render_mcu(console, doc["mcu_estimate"])
    if doc.get("per_op"):
        from toolkit.report.per_op_text import render_per_op

        render_per_op(console, doc["per_op"])
    for finding in doc.get("findings", []):
        style = {"error": "red", "warning": "yellow"}.get(finding["severity"], "dim")
        console.print(f"[{style}]{finding['severity']}[/]: {escape(inert(str(finding['message'])))}")
    if doc.get("id") is not None:
        console.print(f"[dim]stored as result {doc['id']}[/]")
    change = doc.get("previous")
    if change:
        style = "bold red" if change["regression"] else "green" if change["verdict"] == "faster" else "dim"
        console.print(f"[{style}]vs previous[/]: {change['message']}")


def _render_mcu(console: Any, m: dict[str, Any]) -> None:
    """The MCU estimate: figure, kernel family and its calibration error, then the top ops by cycles."""
    from rich.table import Table

    console.print(
        f"[bold]MCU latency (estimated)[/]: {m['latency_ms']:.1f} ms at {m['clock_hz'] / 1e6:g} MHz, "
        f"{m['kernels']} kernels ({m.get('kernel_class', m['kernels'])}) — calibration: {m['calibration_error']}"
    )
    if m.get("note"):
        console.print(f"[yellow]note[/]: {m['note']}")
    top = m.get("top_ops") or []
    if top:
        table = Table(title="top ops by estimated cycles (estimated)", title_justify="left")
        for key, justify in (("#", "right"), ("op", "left"), ("Mcycles", "right"), ("ms", "right"), ("share", "right")):
            table.add_column(key, justify=justify)  # type: ignore[arg-type]
        for op in top:
            table.add_row(str(op["index"]), op["op"], f"{op['cycles'] / 1e6:.2f}", f"{op['ms']:.2f}", f"{op['share']:.0%}")
        console.print(table)
