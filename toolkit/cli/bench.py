"""`edgetk bench MODEL --target NAME`: run the model on the target's device and show latency statistics."""

from __future__ import annotations

import json
from pathlib import Path

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
    from toolkit.bench import BenchOptions
    from toolkit.bench.bench_run import BenchRequest, run_bench
    from toolkit.report.progress import TerminalBenchProgress

    options = BenchOptions(
        runs=runs, warmup=warmup, threads=threads, xnnpack=not no_xnnpack, inputs=inputs, seed=seed,
        timeout=timeout, runtime=runtime, kernels=kernels, per_op=per_op, accelerator=accelerator,
    )  # fmt: skip
    request = BenchRequest(
        model=model, target=target, devices=tuple(device or ()), all_devices=all_devices, inventory=inventory,
        max_parallel=max_parallel, options=options, store=not no_store, db=db,
        trust_new_host_key=trust_new_host_key, ask_password=ask_password,
    )  # fmt: skip
    # plain device lines under --json or a password prompt; no spinner over a prompt
    with TerminalBenchProgress(spinner=not ask_password, live_devices=False if as_json or ask_password else None) as p:
        run = run_bench(request, p)
    if as_json:  # printed whatever the store did: a finished measurement is never discarded
        typer.echo(json.dumps(run.document(), indent=2))
        for line in run.loud_lines:  # a contradicted prediction is said loudly under --json too
            typer.echo(line, err=True)
    else:
        from toolkit.report.bench_text import print_bench_run

        print_bench_run(run)
    if run.stored and run.stored.error:
        typer.echo(run.stored.warning(), err=True)
    if run.exit_code:
        raise typer.Exit(run.exit_code)
