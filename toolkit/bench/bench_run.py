"""What `edgetk bench` does, as one library call: one target (optionally through one inventory device, or
LiteRT's GPU accelerator) or a fleet of devices, then the results store and the comparison with the
previous result of the same setup.

Why here and not in the CLI: a CI job calling ``run_bench`` gets the same dispatch, the same stored ids and
the same exit code as the command. A finished measurement is never lost: storing it can fail (reported in
``stored``, exit NOT_STORED after the result is shown) but never raises. Nothing here prints; progress goes
to the ``BenchProgress`` the caller passes (toolkit.report.progress renders it on a terminal).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from toolkit.bench.fleet import FleetResult, bench_fleet
from toolkit.bench.orchestrate import BenchOptions, BenchResult, bench_model
from toolkit.bench.store import StoreOutcome, store_results
from toolkit.errors import BadInputError, ExitCode, ToolkitError, UnknownNameError

RUNTIMES = ("litert", "tflite-runtime", "tflm")
ACCELERATORS = ("gpu",)


class BenchProgress(Protocol):
    """Where a bench reports progress: a busy message for one target, one status line per fleet device."""

    def busy(self, message: str) -> AbstractContextManager[Any]: ...

    def device(self, name: str, status: str, done: bool) -> None: ...


class QuietProgress:
    """No progress shown (scripts, tests)."""

    def busy(self, message: str) -> AbstractContextManager[Any]:
        return nullcontext()

    def device(self, name: str, status: str, done: bool) -> None:
        return None


@dataclass(frozen=True)
class BenchRequest:
    """Everything `edgetk bench` was asked: a target, or devices from the inventory (a fleet when several,
    --all-devices, or a device without --target). ``options.accelerator`` "gpu": LiteRT's GPU accelerator
    here, or benchmark_model's GPU delegate on an adb device."""

    model: Path
    target: str | None = None
    devices: tuple[str, ...] = ()
    all_devices: bool = False
    inventory: Path | None = None
    max_parallel: int = 4
    options: BenchOptions = field(default_factory=BenchOptions)
    store: bool = True
    db: Path | None = None
    trust_new_host_key: bool = False
    ask_password: bool = False

    @property
    def is_fleet(self) -> bool:
        return self.all_devices or len(self.devices) > 1 or (bool(self.devices) and self.target is None)


def _local_hint() -> str:
    """"e.g. --target NAME for this machine; " for the first target reached locally (none: empty)."""
    from toolkit.targets import load_registry

    registry = load_registry()
    local = [n for n in registry.names() if registry.get(n).reach.transport == "local"]
    return f"e.g. --target {local[0]} for this machine; " if local else ""


def prediction_wrong_lines(results: list[BenchResult]) -> list[str]:
    return [f.message for r in results for f in r.findings if f.message.startswith("PREDICTION WRONG")]


@dataclass(frozen=True)
class BenchRun:
    """One target's result, what storing it did, and the change since the previous result of its setup."""

    result: BenchResult
    stored: StoreOutcome | None
    previous: Any | None  # toolkit.bench.history.LatencyChange

    @property
    def record_id(self) -> int | None:
        return self.stored.ids[0] if self.stored else None

    def document(self) -> dict[str, Any]:
        """edgetk.bench/1, with the stored id and the comparison with the previous result when stored."""
        doc = self.result.to_dict()
        if self.record_id is not None:
            doc["id"] = self.record_id
            doc["previous"] = self.previous.to_dict() if self.previous else None
        return doc

    @property
    def loud_lines(self) -> list[str]:
        """Contradicted predictions (PREDICTION WRONG ...): said on stderr too, so --json does not hide them."""
        return prediction_wrong_lines([self.result])

    @property
    def exit_code(self) -> int:
        """NOT_STORED when the store failed, 1 when the model does not fit the target's RAM or flash."""
        if self.stored and self.stored.error:
            return self.stored.exit_code
        return int(ExitCode.VERDICT_FAILED if self.result.has_errors else ExitCode.OK)


@dataclass(frozen=True)
class FleetRun:
    """Every device's outcome in input order, and their ids in the results store."""

    results: list[FleetResult]
    stored: StoreOutcome | None
    ids: dict[str, int | None]

    def document(self) -> list[dict[str, Any]]:
        return [r.to_dict(self.ids.get(r.device)) for r in self.results]

    @property
    def loud_lines(self) -> list[str]:
        return prediction_wrong_lines([r.result for r in self.results if r.ok])

    @property
    def exit_code(self) -> int:
        """The first failed device's code, else NOT_STORED when the store failed, else 0."""
        failed = next((r.exit_code for r in self.results if not r.ok), 0)
        if self.stored and self.stored.error:
            return failed or self.stored.exit_code
        return failed


def run_bench(request: BenchRequest, progress: BenchProgress | None = None) -> BenchRun | FleetRun:
    """Bench as `edgetk bench` does; bad options are BadInputError / UnknownNameError before anything runs."""
    progress = progress or QuietProgress()
    options = request.options
    if options.runtime is not None and options.runtime not in RUNTIMES:
        raise UnknownNameError("runtime", options.runtime, list(RUNTIMES))
    if options.accelerator is not None and options.accelerator not in ACCELERATORS:
        raise UnknownNameError("accelerator", options.accelerator, list(ACCELERATORS))
    if options.kernels is not None:
        from toolkit.bench.mcu_estimate import KERNEL_FAMILIES

        if options.kernels not in KERNEL_FAMILIES:
            raise UnknownNameError("kernel family", options.kernels, list(KERNEL_FAMILIES))
    if request.is_fleet:
        return _run_fleet(request, progress)
    if request.target is None:
        raise BadInputError(f"--target is required ({_local_hint()}`edgetk targets list` names them all), or "
                            "--device NAME / --all-devices from devices.toml")
    result = _bench_one(request, progress)
    stored = store_results([result], request.db) if request.store else None
    return BenchRun(result, stored, _previous(stored, request.db))


def _bench_one(request: BenchRequest, progress: BenchProgress) -> BenchResult:
    from toolkit.targets import load_registry

    options, model = request.options, request.model
    descriptor = load_registry().get(request.target)
    device = request.devices[0] if request.devices else None
    transport = None
    if device:  # one device with an explicit --target: its transport from the same inventory as a fleet run
        from toolkit.devices import transport_for_device

        transport = transport_for_device(device, inventory=request.inventory,
                                         trust_new_host_key=request.trust_new_host_key,
                                         ask_password=request.ask_password)
    if options.accelerator is not None and options.per_op and not device:
        raise BadInputError("--per-op times ops on a device's runtime; with --accelerator gpu here, read the "
                            "accelerator's partitions instead (drop one of the two)")
    if options.accelerator is not None and not device:  # here: LiteRT's GPU accelerator; on a phone: benchmark_model
        from toolkit.bench.gpu_bench import bench_gpu

        with progress.busy(f"running {model.name} through LiteRT's GPU accelerator (SwiftShader)"):
            return bench_gpu(model, descriptor, options=options)
    where = request.target + (f" via {device}" if device else "")
    with progress.busy(f"benchmarking {model.name} on {where}: {options.warmup} warm-up + {options.runs} timed "
                       "runs" + (", then every op alone (one runner process for all)" if options.per_op else "")):
        return bench_model(model, descriptor, device=device, options=options, transport=transport)


def _previous(stored: StoreOutcome | None, db: Path | None) -> Any | None:
    """The change since the previous result of the same setup; a courtesy that never fails the bench."""
    if not stored or stored.ids[0] is None:
        return None
    from toolkit.bench.history import change_since_previous
    from toolkit.bench.store import ResultsStore

    try:
        return change_since_previous(ResultsStore(db), stored.ids[0])
    except ToolkitError:  # the result is stored and shown regardless
        return None


def _run_fleet(request: BenchRequest, progress: BenchProgress) -> FleetRun:
    from toolkit.devices import load_inventory

    inv = load_inventory(request.inventory)
    names = inv.names() if request.all_devices else list(request.devices)
    if not names:
        raise BadInputError(f"no devices in {inv.path} (add one with `edgetk devices add`)")
    if request.options.inputs:  # once, before any device: one line naming the user's file, not one per device
        from toolkit.bench.inputs_file import check_inputs_fit
        from toolkit.model import load_model

        with load_model(request.model) as loaded:
            check_inputs_fit(Path(request.options.inputs), loaded)
    results = bench_fleet(request.model, [inv.get(n) for n in names], request.options, request.max_parallel,
                          trust_new_host_key=request.trust_new_host_key, on_status=progress.device,
                          ask_password=request.ask_password)
    if not request.store:
        return FleetRun(results, None, {})
    ran = [r for r in results if r.ok]
    stored = store_results([r.result for r in ran], request.db)
    return FleetRun(results, stored, {r.device: i for r, i in zip(ran, stored.ids, strict=True)})
