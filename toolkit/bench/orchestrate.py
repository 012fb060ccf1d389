"""bench_model: run the device-side runner on a target through its transport and interpret the answer.

The one library function behind `edgetk bench`. It opens the transport ``for_target`` picks, sends the
runner and the model (content-cached), runs the runner, and turns its JSON into a ``BenchResult``:
memory findings against the descriptor (TFLM arena vs RAM, model vs flash), the roofline efficiency, an
estimated per-op breakdown (labelled "estimated": no Python interpreter API offers per-op timing), the
"emulated" label for qemu timings and, for TFLM targets, the estimated MCU latency. Failures become one
ToolkitError: a signal is ``RuntimeCrashError(signal_name=...)`` naming the phase that was running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit import __version__, provenance
from toolkit.bench.finding import BenchFinding
from toolkit.bench.options import BenchOptions
from toolkit.bench.per_op import complete_per_op, measure_per_op
from toolkit.bench.stats import STAT_KEYS, TOOL_STAT_KEYS, roofline, roofline_block, stats_problems
from toolkit.errors import DeviceError, RuntimeCrashError
from toolkit.runtimes.protocol import RUNNER_PATH, Kind, classify, hang_error, run_runner, runner_argv
from toolkit.transports.base import RunResult, Transport

__all__ = ["RUNNER_PATH", "BenchOptions", "BenchResult", "bench_model", "parse_runner_output", "runner_argv",
           "runtime_hang"]
BENCH_SCHEMA = "edgetk.bench/1"


@dataclass(frozen=True)
class BenchResult:
    model_path: str
    model_sha256: str
    model_size: int
    target: str
    device: str | None
    transport: str
    emulated: bool
    runner: dict[str, Any]
    options: BenchOptions
    findings: tuple[BenchFinding, ...] = ()
    roofline: dict[str, Any] | None = None
    per_op_estimate: dict[str, Any] | None = None
    per_op: dict[str, Any] | None = None  # measured per-op times (bench --per-op), with their timing
    mcu_estimate: dict[str, Any] | None = None
    timing: str = provenance.MEASURED  # provenance of the runner's latency_ms (toolkit.provenance)
    delegate: str | None = None  # the delegate the device ran the timed runs with ("GPU"), as the tool said
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    edgetk_version: str = __version__
    record_id: int | None = None

    @property
    def latency_ms(self) -> dict[str, Any]:
        return self.runner.get("latency_ms") or {}

    @property
    def headline(self) -> dict[str, Any]:
        """THE latency of this result with its provenance: the MCU estimate for an MCU target."""
        return provenance.headline_latency(self.latency_ms, self.timing, self.mcu_estimate, self.delegate)

    @property
    def has_errors(self) -> bool:
        """A finding of severity "error" (the model does not fit the target's RAM or flash): exit 1."""
        return any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": BENCH_SCHEMA, "id": self.record_id, "created_at": self.created_at,
            "edgetk_version": self.edgetk_version,
            "model": {"path": self.model_path, "sha256": self.model_sha256, "size_bytes": self.model_size},
            "target": self.target, "device": self.device, "transport": self.transport, "emulated": self.emulated,
            "timing": self.timing, "timing_note": provenance.with_delegate(provenance.TIMING_NOTES[self.timing], self.delegate),
            "headline": self.headline,
            "options": self.options.to_dict(),
            "findings": [f.to_dict() for f in self.findings], "roofline": self.roofline,
            "per_op_estimate": self.per_op_estimate, "per_op": self.per_op, "mcu_estimate": self.mcu_estimate, "runner": self.runner,
        }  # fmt: skip

    def record_fields(self) -> dict[str, Any]:
        """What the results store keeps (see toolkit.bench.store)."""
        runtime = self.runner.get("runtime") or {}
        bench = {k: v for k, v in self.to_dict().items() if k != "runner"}
        return {
            "created_at": self.created_at, "model_path": self.model_path, "model_sha256": self.model_sha256,
            "target": self.target, "device": self.device, "transport": self.transport,
            "runtime": runtime.get("name"), "runtime_version": runtime.get("version"),
            "options": self.options.to_dict(), "runner": self.runner, "edgetk_version": self.edgetk_version,
            "bench": bench,
        }  # fmt: skip




def bench_model(
    model_path: Path | str, target: Any, *, device: str | None = None, options: BenchOptions | None = None,
    transport: Transport | None = None,
) -> BenchResult:
    """Benchmark ``model_path`` on ``target`` (a TargetDescriptor). ``transport`` overrides the dispatch."""
    from toolkit.model import load_model
    from toolkit.transports import for_target

    options = options or BenchOptions()
    model_path = Path(model_path)
    model = load_model(model_path)
    if options.inputs:
        from toolkit.bench.inputs_file import check_inputs_fit

        check_inputs_fit(Path(options.inputs), model)
    if options.kernels:  # before the run: a kernel family the estimate cannot model is bad input, not a late error
        from toolkit.bench.mcu_estimate import kernel_class

        kernel_class(options.kernels, target.cpu.arch)
    transport = transport or (_device_transport(device) if device else for_target(target))
    runtime = options.runtime or transport.runtime or target.runtime.name
    _refuse_on_benchmark_model(target, transport, options)
    if transport.benchmark_binary:  # a phone without Python: LiteRT's benchmark_model binary
        return _bench_with_benchmark_model(model, target, device, transport, options)
    with transport:
        try:
            result = run_runner(transport, model_path, runtime, options, inputs=options.inputs,
                                outputs_npz="outputs.npz" if options.keep_outputs else None)
        except DeviceError as exc:
            hang = runtime_hang(exc, transport.kind, f"{model_path.name} on {target.name}", options.timeout)
            if hang is None:
                raise
            raise hang from None
        doc = parse_runner_output(result, model_path.name, target.name)
        if options.keep_outputs:
            transport.get("outputs.npz", Path(options.keep_outputs))
        per_op = measure_per_op(transport, model_path, runtime, options) if options.per_op else None
    return _interpret(model, target, device, transport, doc, options, per_op)


def require_gpu_delegate(target: Any) -> Any:
    """The target's gpu delegate entry; BadInputError when it has none (--accelerator gpu needs one)."""
    from toolkit.errors import BadInputError

    delegate = next((d for d in target.delegates if d.name == "gpu"), None)
    if delegate is None:
        raise BadInputError(f"target '{target.name}' has no gpu delegate: --accelerator gpu needs one "
                            "(e.g. --target android-arm64)")
    return delegate


def _refuse_on_benchmark_model(target: Any, transport: Transport, options: BenchOptions) -> None:
    """Options benchmark_model cannot honour are refused in one line, before anything runs."""
    from toolkit.errors import BadInputError, UnknownNameError

    if options.accelerator is not None and options.accelerator != "gpu":
        raise UnknownNameError("accelerator", options.accelerator, ["gpu"])
    if options.accelerator == "gpu" and not transport.benchmark_binary:
        raise BadInputError(f"--accelerator gpu on {transport.kind} device needs benchmark_binary = in its "
                            "devices.toml entry (LiteRT's benchmark_model --use_gpu; the Python runner has no GPU "
                            "delegate); without --device it runs LiteRT's GPU accelerator here (software GPU)")
    if not transport.benchmark_binary:
        return
    if options.accelerator == "gpu":
        require_gpu_delegate(target)
    if options.inputs or options.keep_outputs:
        raise BadInputError("benchmark_model feeds its own random inputs and keeps no outputs: --inputs and "
                            "--keep-outputs need a device with Python (the runner path)")
    if options.runtime not in (None, "litert"):
        raise BadInputError(f"--runtime {options.runtime}: benchmark_model is LiteRT's own tool; drop --runtime "
                            "(or remove benchmark_binary from the device entry to use the Python runner)")


def _bench_with_benchmark_model(model: Any, target: Any, device: str | None, transport: Transport,
                                options: BenchOptions) -> BenchResult:
    """The adb path for phones: benchmark_model's own timings (and op profiler with --per-op), measured; with
    --accelerator gpu through the phone's GPU delegate, and its numerics from inference_diff when named."""
    from toolkit.bench import benchmark_model as tool
    from toolkit.bench import inference_diff

    where = transport.where
    gpu = options.accelerator == "gpu"
    with transport:  # both tools are found (or refused) before either runs
        diff_tool = (inference_diff.install_inference_diff(transport, transport.inference_diff_binary)
                     if gpu and transport.inference_diff_binary else None)
        doc = tool.run_benchmark_model(transport, transport.benchmark_binary or "", Path(model.path), options)
        if diff_tool and tool.gpu_delegate(doc)["coverage"] != "refused":  # a refusal leaves nothing to compare
            doc["numerics"] = inference_diff.run_inference_diff(transport, diff_tool, model, options)
    if doc.get("numerics"):  # after the device is released: the output range comes from a host-run LiteRT CPU
        inference_diff.add_reference_range(doc["numerics"], Path(model.path), options)
    refused = tool.gpu_delegate(doc)["coverage"] == "refused"
    found = tool.tool_findings(doc, where) + (inference_diff.numerics_findings(doc.get("numerics"), where)
                                              if gpu and not refused else [])
    if gpu:  # the phone's answer is the verdict; the op table's prediction stands beside it
        from toolkit.targets.delegates import delegate_verdicts

        predicted = next((v for v in delegate_verdicts(model, target) if v.name == "gpu"), None)
        if predicted is not None:
            doc["gpu_prediction"], wrong = tool.gpu_prediction(doc, predicted)
            found += [wrong] if wrong else []
    per_op = tool.profiler_per_op(doc) if options.per_op else None
    delegate = "GPU" if tool.gpu_delegate(doc)["applied"] else None
    return _interpret(model, target, device, transport, doc, options, per_op, [BenchFinding(*f) for f in found],
                      delegate)


def _device_transport(device: str) -> Transport:
    from toolkit.devices.connect import transport_for_device  # the inventory: ssh / adb / local / emulator

    return transport_for_device(device)


def runtime_hang(exc: DeviceError, transport_kind: str, where: str, timeout: float) -> RuntimeCrashError | None:
    """See ``toolkit.runtimes.protocol.hang_error`` (a host-side runner child that hung is exit 6)."""
    return hang_error(exc, transport_kind, where, timeout)


def parse_runner_output(result: RunResult, model_name: str, target_name: str) -> dict[str, Any]:
    """The runner's JSON document, or the ToolkitError its outcome means (``protocol.classify``)."""
    outcome = classify(result, target_name)
    if outcome.kind is not Kind.OK:
        raise outcome.error(model_name, target_name)
    return outcome.document or {}


def _interpret(
    model: Any, target: Any, device: str | None, transport: Transport, doc: dict[str, Any], options: BenchOptions,
    per_op: dict[str, Any] | None = None, extra: list[BenchFinding] | None = None, delegate: str | None = None,
) -> BenchResult:
    from toolkit.bench.mcu_estimate import estimate_mcu_latency
    from toolkit.model.cost import estimate_cost

    cost = estimate_cost(model)
    findings = list(_memory_findings(model, target, doc)) + list(extra or [])
    tool = doc.get("schema") == "edgetk.benchmark-model/1"  # its count line has no p90/p99
    refused = tool and not doc.get("latency_ms")  # the phone's GPU delegate refused the model: no run, no stats
    problems = [] if refused else stats_problems(doc.get("latency_ms") or {}, TOOL_STAT_KEYS if tool else STAT_KEYS)
    if problems:
        findings.append(BenchFinding("latency-stats", "warning", "; ".join(problems)))
    runtime_name = (doc.get("runtime") or {}).get("name")
    is_tflm = transport.kind == "tflm" or runtime_name == "tflm"
    timing = provenance.runner_timing(transport.kind, transport.emulated, runtime_name, options.accelerator)
    mcu = dict(estimate_mcu_latency(model, cost, target, kernels=options.kernels).to_dict(), timing=provenance.ESTIMATED) if is_tflm else None
    roof = None
    latency = doc.get("latency_ms") or {}
    if latency:
        latency["timing"] = timing
    if transport.emulated:
        doc["device"] = emulated_identity(doc.get("device") or {}, target, transport.emulated_core)
    if is_tflm and cost.total_macs and mcu and mcu["latency_ms"] > 0:  # against the MCU estimate, not the host
        estimate = roofline(cost.total_macs, target.cpu.clock_hz, target.cpu.macs_per_cycle, mcu["latency_ms"], 1)
        roof = dict(roofline_block(estimate, "estimated"), latency_source=f"mcu_estimate ({mcu['kernels']} kernels)")
    elif not is_tflm and cost.total_macs and latency.get("p50") and options.accelerator != "gpu":  # CPU peak only
        cores = min(options.threads or 1, target.cpu.cores)
        roof = roofline(cost.total_macs, target.cpu.clock_hz, target.cpu.macs_per_cycle, latency["p50"], cores)
        roof = roofline_block(roof, timing)
    estimate = None if is_tflm else _per_op_estimate(cost, latency.get("p50"))
    return BenchResult(
        model_path=str(model.path), model_sha256=model.sha256, model_size=model.size_bytes, target=target.name,
        device=device, transport=transport.kind, emulated=transport.emulated, runner=doc, options=options,
        findings=tuple(findings), roofline=roof, per_op_estimate=estimate, mcu_estimate=mcu, timing=timing,
        delegate=delegate,
        per_op=complete_per_op(per_op, _whole_ms(doc, per_op), timing) if per_op else None,
    )  # fmt: skip


def emulated_identity(guest: dict[str, Any], target: Any, cpu: str | None) -> dict[str, Any]:
    """Who the emulated device is: the target being emulated, not what the image's canned /proc/cpuinfo says
    (one arm64 image serves the Pi 4 and the Pi 5). What the guest reported is kept beside it."""
    core = cpu or "the image's default core"
    return dict(guest, cpu_model=f"qemu-user -cpu {core} (emulating {target.name})", board=f"emulated {target.title}",
                guest_reported={k: guest.get(k) for k in ("cpu_model", "board")})


def _memory_findings(model: Any, target: Any, doc: dict[str, Any]) -> list[BenchFinding]:
    found = []
    arena = (doc.get("arena") or {}).get("total_bytes")
    ram, flash = target.memory.ram_bytes, target.memory.flash_bytes
    if arena is not None and ram:
        verdict = "exceeds" if arena > ram else "fits in"
        found.append(BenchFinding(
            "arena-exceeds-ram" if arena > ram else "arena-fits-ram", "error" if arena > ram else "info",
            f"TFLM arena {arena:,} bytes (host-run) {verdict} {target.name} RAM {ram:,} bytes",
        ))  # fmt: skip
    if flash and doc.get("runtime", {}).get("name") == "tflm":
        size = model.size_bytes
        found.append(BenchFinding(
            "model-exceeds-flash" if size > flash else "model-fits-flash", "error" if size > flash else "info",
            f"model {size:,} bytes {'exceeds' if size > flash else 'fits in'} {target.name} flash {flash:,} bytes",
        ))  # fmt: skip
    return found


def _whole_ms(doc: dict[str, Any], per_op: dict[str, Any]) -> float | None:
    """What per-op times are summed against: the profiler's own average run, else the runner's p50."""
    if per_op.get("source") == "profiler":
        return doc.get("inference_avg_ms")
    return (doc.get("latency_ms") or {}).get("p50")


def _per_op_estimate(cost: Any, measured_ms: float | None) -> dict[str, Any] | None:
    """Share the measured latency among ops by static cost (FLOPs + bytes moved): an estimate, labelled so."""
    if not measured_ms or not cost.ops:
        return None
    weights = [op.flops + op.bytes_moved for op in cost.ops]
    total = sum(weights) or 1
    ops = [
        {"subgraph": op.subgraph, "index": op.index, "op": op.name, "ms": measured_ms * w / total}
        for op, w in zip(cost.ops, weights, strict=True)
    ]
    return {"estimated": True, "method": "measured p50 shared by static cost (FLOPs + bytes moved)", "ops": ops}
