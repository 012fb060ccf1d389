"""Bench one model on several devices at once: `edgetk bench MODEL --device a --device b | --all-devices`.

Devices are independent, and most of a fleet run is waiting on remote processes, so threads with a
concurrency limit are enough. Each device reports its status through ``on_status(device, text, done)``
(the CLI shows one line per device: toolkit.report.progress); a failing device (unreachable, auth, runtime
crash) becomes a FleetResult with its error and exit code instead of stopping the others. Nothing here
prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
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

    def to_dict(self, record_id: int | None = None) -> dict[str, Any]:
        """One entry of the fleet's --json list (``record_id``: its id in the results store, if stored)."""
        return {"device": self.device, "target": self.target, "transport": self.transport, "ok": self.ok,
                "error": self.error, "exit_code": self.exit_code, "seconds": round(self.seconds, 3),
                "id": record_id, "result": self.result.to_dict() if self.ok else None}


StatusCallback = Callable[[str, str, bool], None]  # (device name, status text, done)


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
    on_status: StatusCallback | None = None,
    ask_password: bool = False,
) -> list[FleetResult]:
    """Bench ``model`` on every device (names from the inventory, or Device entries); results in input order.

    Each device runs ``toolkit.bench.bench_model`` with its inventory entry's target and transport.
    ``on_status`` hears "queued" for every device (in input order) before any starts, then its progress.
    ``ask_password`` prompts once per SSH device as it connects.
    """
    from toolkit.bench import bench_model
    from toolkit.devices import load_inventory, transport_for_device
    from toolkit.targets import load_registry

    inv = load_inventory(inventory) if any(isinstance(d, str) for d in devices) else None
    entries = [inv.get(d) if isinstance(d, str) and inv else d for d in devices]
    registry = load_registry()
    status: StatusCallback = on_status or (lambda _name, _text, _done: None)
    for entry in entries:
        status(entry.name, "queued", False)

    def one(entry: Any) -> FleetResult:
        start = time.monotonic()

        def failed(message: str, code: int) -> FleetResult:
            status(entry.name, f"FAILED: {message}", True)
            return FleetResult(entry.name, entry.target, entry.transport, False, None, message, code,
                               time.monotonic() - start)

        try:
            status(entry.name, f"running on {entry.transport} ({entry.target})", False)
            target = registry.get(entry.target)
            transport = transport_for_device(entry, trust_new_host_key=trust_new_host_key, progress=False,
                                             ask_password=ask_password)
            result = bench_model(Path(model), target, device=entry.name, options=options, transport=transport)
            status(entry.name, _summary(result), True)
            return FleetResult(entry.name, entry.target, entry.transport, True, result, None, 0,
                               time.monotonic() - start)
        except Cancelled as exc:  # Ctrl-C / SIGTERM: the CLI says so once, not once per device
            return FleetResult(entry.name, entry.target, entry.transport, False, None, exc.message,
                               int(ExitCode.INTERRUPTED), time.monotonic() - start)
        except ToolkitError as exc:
            return failed(exc.message, int(exc.exit_code))
        except Exception as exc:  # noqa: BLE001 - one device's bug must not lose the others' results
            return failed(f"internal error ({type(exc).__name__}: {exc})", int(ExitCode.INTERNAL))

    with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, len(entries) or 1))) as pool:
        return list(pool.map(one, entries))
