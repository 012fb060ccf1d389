"""Bench one model on several devices at once: `edgetk bench MODEL --device a --device b | --all-devices`.

Devices are independent, and most of a fleet run is waiting on remote processes, so threads with a
concurrency limit are enough. Each device gets one progress line; a failing device (unreachable, auth,
runtime crash) becomes a FleetResult with its error and exit code instead of stopping the others.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.children import Cancelled
from toolkit.errors import ExitCode, ToolkitError


@dataclass(frozen=True)
class FleetResult:
    """One device's outcome: ``result`` is the BenchResult when ``ok``, else ``error`` says why not."""

    device: str
    target: str
    transport: str
    ok: bool
    result: Any | None
    error: str | None
    exit_code: int
    seconds: float


class _Lines:
    """One status line per device: a live rich display on a terminal, plain lines otherwise."""

    def __init__(self, names: Sequence[str], enabled: bool | None) -> None:
        self.live = sys.stderr.isatty() if enabled is None else enabled
        self.lock = threading.Lock()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        if self.live:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            self.progress.start()
            for name in names:
                self.tasks[name] = self.progress.add_task(f"{name}: queued", total=1)

    def update(self, name: str, status: str, done: bool = False) -> None:
        from rich.markup import escape

        from toolkit.text import inert

        status = inert(status)  # device and runtime text: shown, never obeyed by the terminal
        with self.lock:
            if self.progress is not None:
                self.progress.update(self.tasks[name], description=f"{name}: {escape(status)}", completed=int(done))
            else:
                print(f"{name}: {status}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _summary(result: Any) -> str:
    lat = result.latency_ms
    runtime = result.runner.get("runtime") or {}
    arch = (result.runner.get("device") or {}).get("arch", "?")
    head = result.headline
    return (f"p50 {head['p50_ms'] or float('nan'):.3f} ms ({head['timing']}), mean {lat.get('mean', float('nan')):.3f}"
            f" ms, p90 {lat.get('p90', float('nan')):.3f} ms over {lat.get('runs')} runs — {runtime.get('name')} "
            f"{runtime.get('version')} on {arch}")


def bench_fleet(
    model: Path,
    devices: Sequence[Any],
    options: Any = None,
    max_parallel: int = 4,
    *,
    inventory: Path | str | None = None,
    trust_new_host_key: bool = False,
    progress: bool | None = None,
    ask_password: bool = False,
) -> list[FleetResult]:
    """Bench ``model`` on every device (names from the inventory, or Device entries); results in input order.

    Each device runs ``toolkit.bench.bench_model`` with its inventory entry's target and transport.
    ``ask_password`` prompts once per SSH device as it connects (one prompt at a time, plain status lines
    instead of the live display so the prompt stays readable).
    """
    from toolkit.bench import bench_model
    from toolkit.devices import load_inventory, transport_for_device
    from toolkit.targets import load_registry

    inv = load_inventory(inventory) if any(isinstance(d, str) for d in devices) else None
    entries = [inv.get(d) if isinstance(d, str) and inv else d for d in devices]
    registry = load_registry()
    lines = _Lines([e.name for e in entries], False if ask_password else progress)

    def one(entry: Any) -> FleetResult:
        start = time.monotonic()

        def failed(message: str, code: int) -> FleetResult:
            lines.update(entry.name, f"FAILED: {message}", done=True)
            return FleetResult(entry.name, entry.target, entry.transport, False, None, message, code,
                               time.monotonic() - start)

        try:
            lines.update(entry.name, f"running on {entry.transport} ({entry.target})")
            target = registry.get(entry.target)
            transport = transport_for_device(entry, trust_new_host_key=trust_new_host_key, progress=False,
                                             ask_password=ask_password)
            result = bench_model(Path(model), target, device=entry.name, options=options, transport=transport)
            lines.update(entry.name, _summary(result), done=True)
            return FleetResult(entry.name, entry.target, entry.transport, True, result, None, 0,
                               time.monotonic() - start)
        except Cancelled as exc:  # Ctrl-C / SIGTERM: the CLI says so once, not once per device
            return FleetResult(entry.name, entry.target, entry.transport, False, None, exc.message,
                               int(ExitCode.INTERRUPTED), time.monotonic() - start)
        except ToolkitError as exc:
            return failed(exc.message, int(exc.exit_code))
        except Exception as exc:  # noqa: BLE001 - one device's bug must not lose the others' results
            return failed(f"internal error ({type(exc).__name__}: {exc})", int(ExitCode.INTERNAL))

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, len(entries) or 1))) as pool:
            return list(pool.map(one, entries))
    finally:
        lines.stop()


def fleet_table(results: Sequence[FleetResult]) -> Any:
    """The fleet side by side: one row per device (a rich Table)."""
    from rich.markup import escape
    from rich.table import Table

    from toolkit.text import inert

    table = Table(title="fleet", title_justify="left")
    for col in ("device", "target", "via", "runtime", "arch", "mean ms", "p90 ms", "runs", "timing"):
        table.add_column(col, justify="right" if col.endswith(("ms", "runs")) else "left")
    for r in results:
        if not r.ok:
            table.add_row(r.device, r.target, r.transport, "", "", "", "", "", f"[red]{escape(inert(r.error or ''))}[/]")
            continue
        lat, runner = r.result.latency_ms, r.result.runner
        rt = runner.get("runtime") or {}
        table.add_row(
            r.device, r.target, r.transport, f"{rt.get('name')} {rt.get('version')}",
            (runner.get("device") or {}).get("arch", ""), f"{lat.get('mean', 0):.3f}", f"{lat.get('p90', 0):.3f}",
            str(lat.get("runs")), r.result.timing,
        )
    return table


def fleet_cli(
    model: Path,
    devices: Sequence[str],
    *,
    all_devices: bool,
    inventory: Path | None,
    options: Any,
    max_parallel: int,
    trust_new_host_key: bool,
    as_json: bool,
    store: bool,
    db: Path | None,
    ask_password: bool = False,
) -> int:
    """What `edgetk bench --device a --device b | --all-devices` does; returns the exit code (0 = all ran)."""
    from toolkit.devices import load_inventory
    from toolkit.errors import BadInputError

    inv = load_inventory(inventory)
    names = inv.names() if all_devices else list(devices)
    if not names:
        raise BadInputError(f"no devices in {inv.path} (add one with `edgetk devices add`)")
    if options.inputs:  # once, before any device: one line naming the user's file, not one per device
        from toolkit.bench.inputs_file import check_inputs_fit
        from toolkit.model import load_model

        with load_model(model) as loaded:
            check_inputs_fit(Path(options.inputs), loaded)
    results = bench_fleet(model, [inv.get(n) for n in names], options, max_parallel,
                          trust_new_host_key=trust_new_host_key, progress=None if not as_json else False,
                          ask_password=ask_password)
    ids: dict[str, int | None] = {}
    stored = None
    if store:
        from toolkit.bench.store import store_results

        ran = [r for r in results if r.ok]
        stored = store_results([r.result for r in ran], db)
        ids = {r.device: i for r, i in zip(ran, stored.ids, strict=True)}
    if as_json:
        import json

        print(json.dumps([
            {"device": r.device, "target": r.target, "transport": r.transport, "ok": r.ok, "error": r.error,
             "exit_code": r.exit_code, "seconds": round(r.seconds, 3), "id": ids.get(r.device),
             "result": r.result.to_dict() if r.ok else None} for r in results], indent=2))
    else:
        from rich.console import Console

        Console(highlight=False).print(fleet_table(results))
    failed = next((r.exit_code for r in results if not r.ok), 0)
    if stored and stored.error:
        print(stored.warning(), file=sys.stderr)
        return failed or stored.exit_code
    return failed
