"""`check --verify`: try the model in every runtime this machine has for the requested targets.

The static verdict (op tables, rules) is a prediction. Here each target's runtime is actually tried — in a
child process with a timeout, through the same transports and device-side runner that `bench` uses
(allocate + one invoke on seeded inputs, ``--runs 1 --warmup 0``) — and its outcome becomes the verdict:

- litert targets: LiteRT CPU with XNNPACK (what the target runs) and without it (the built-in kernels);
- tflite-runtime targets: inside the emulated Pi image when it is cached (aarch64/armv7l, real op support),
  and always the x86_64 tflite-runtime wheel of this host;
- tflm targets: the TFLM host interpreter with the descriptor's RAM as the arena (a model whose arena does
  not fit fails to allocate there, with TFLM's own line), and the measured arena replaces the estimate;
- any other runtime plugs in as one more ``RuntimeTry`` with its own ``attempt`` function: one try per
  runtime, each returning a ``RuntimeOutcome``;
- targets with a measured gpu delegate: LiteRT's GPU accelerator runs once (toolkit.targets.verify_gpu) and
  its answer replaces the delegate's op-table verdict (a delegate verdict, not the target's CPU verdict).

Tries shared by several targets (LiteRT for host and phone) run once. A runtime that is not installed, or
an emulator image that is not built, is recorded as "not-tried" with the reason; it never fails the check.
A try the runner refused because it cannot feed the model's own inputs is "not-tried" too (kind bad-input);
when that left a target with no try at all, `check --verify` exits 2 (``unverified_reason``): nothing was verified.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from toolkit.errors import BadInputError, DeviceError, MissingDependencyError, ToolkitError
from toolkit.targets.check import DOES_NOT_RUN, RUNS, CheckReport, TargetVerdict
from toolkit.targets.finding import Finding
from toolkit.targets.runtime_outcome import NOT_TRIED, UNFED, RuntimeOutcome, unfed_message
from toolkit.targets.schema import TargetDescriptor

DEFAULT_TIMEOUT = 20.0
EMULATED_SLOWDOWN = 10.0  # qemu-user runs the runner this many times slower (docs/EMULATOR.md)
_PUT_LOCK = threading.Lock()  # transports share one content-addressed blob store per process


Attempt = Callable[["RuntimeTry", Path, "VerifyOptions"], RuntimeOutcome]


@dataclass(frozen=True)
class RuntimeTry:
    """One way to run the model here. ``attempt`` does it; the default runs the runner through a transport."""

    key: str
    label: str
    runtime: str  # the runner's --runtime
    provenance: str
    transport: str = "local"  # "local" | "tflm" | "emulator"
    xnnpack: bool = True
    arena_bytes: int | None = None
    image: str | None = None
    cpu: str | None = None
    attempt: Attempt | None = field(default=None, compare=False)

    def run(self, model_path: Path, options: VerifyOptions) -> RuntimeOutcome:
        started = time.monotonic()
        outcome = (self.attempt or run_with_runner)(self, model_path, options)
        return replace(outcome, seconds=round(time.monotonic() - started, 3))

    def outcome(self, outcome: str, **fields: Any) -> RuntimeOutcome:
        return RuntimeOutcome(self.key, self.label, fields.pop("runtime", self.runtime), self.provenance,
                              outcome, **fields)


@dataclass(frozen=True)
class VerifyOptions:
    timeout: float = DEFAULT_TIMEOUT  # per try (an emulated one gets EMULATED_SLOWDOWN times more)
    seed: int = 0
    workers: int = 3
    #: also try Pi targets inside their emulated image when it is built (real aarch64/armv7l op support;
    #: qemu-user makes each try take 2-40 s here, median 6 s: PERFORMANCE.md P9e; `--no-emulator` skips it)
    emulated: bool = True


@dataclass(frozen=True)
class Evidence:
    """The tries that decide one target's verdict: ``primary`` is what the target runs, the rest inform."""

    primary: RuntimeOutcome | None
    outcomes: list[RuntimeOutcome]


# ---------------------------------------------------------------------------------------- which tries
def tries_for(target: TargetDescriptor) -> list[RuntimeTry]:
    """The runtime tries this machine can make for ``target``, most faithful first."""
    name = target.runtime.name
    if name == "litert":
        tries = [RuntimeTry("litert", "LiteRT CPU + XNNPACK", "litert", "host-run"),
                 RuntimeTry("litert-no-xnnpack", "LiteRT CPU, built-in kernels", "litert", "host-run",
                            xnnpack=False)]  # fmt: skip
        return tries + [t for t in extra_tries(target) if t is not None]
    if name == "tflite-runtime":
        tries = []
        if target.reach.transport == "emulator" and target.reach.image:
            # one run per image: whether a model runs does not depend on the -cpu model qemu emulates
            tries.append(RuntimeTry(f"tflite-runtime@{target.reach.image}",
                                    f"tflite-runtime in emulated {target.reach.image}", "tflite-runtime",
                                    "emulated", transport="emulator", image=target.reach.image))  # fmt: skip
        tries.append(RuntimeTry("tflite-runtime", "tflite-runtime (x86_64 wheel of this host)", "tflite-runtime",
                                "host-run"))
        return tries
    ram = target.memory.ram_bytes
    label = f"TFLM, arena = RAM {ram:,} B" if ram else "TFLM (no RAM budget: default arena)"
    return [RuntimeTry(f"tflm@{ram or 'default'}", label, "tflm", "host-run", transport="tflm", arena_bytes=ram)]


#: more tries per target (e.g. the GPU accelerator for targets with a gpu delegate); each returns a try or None
EXTRA_TRIES: list[Callable[[TargetDescriptor], RuntimeTry | None]] = []


def extra_tries(target: TargetDescriptor) -> list[RuntimeTry | None]:
    return [factory(target) for factory in EXTRA_TRIES]


# ---------------------------------------------------------------------------------------- running one
def _transport(t: RuntimeTry) -> Any:
    if t.transport == "emulator":
        from toolkit.emulator import read_image
        from toolkit.transports.emulator import EmulatorTransport

        if read_image(t.image or "") is None:
            raise MissingDependencyError(f"emulator image {t.image}", f"build it with `edgetk emulator build {t.image}`")
        return EmulatorTransport(image=t.image or "", cpu=t.cpu, auto_build=False)
    if t.transport == "tflm":
        from toolkit.transports.tflm import TflmTransport

        return TflmTransport()
    from toolkit.transports.local import LocalTransport

    return LocalTransport()


def run_with_runner(t: RuntimeTry, model_path: Path, options: VerifyOptions) -> RuntimeOutcome:
    """The runner through a transport, as `bench` and `check --device` run it; a hang is an outcome."""
    from toolkit.runtimes.protocol import Kind, RunnerOptions, classify, hung_stderr, run_runner

    timeout = options.timeout * (EMULATED_SLOWDOWN if t.provenance == "emulated" else 1.0)
    try:
        transport = _transport(t)
        with transport:
            run = RunnerOptions(seed=options.seed, timeout=timeout, xnnpack=t.xnnpack, arena_bytes=t.arena_bytes)
            result = run_runner(transport, model_path, t.runtime, run, put_lock=_PUT_LOCK)
        seen = classify(result, t.label)
        if not seen.is_model_fate:
            raise seen.error("the model", t.label)
    except MissingDependencyError as exc:
        return t.outcome(NOT_TRIED, kind="missing-runtime", message=exc.message)
    except DeviceError as exc:
        stderr = hung_stderr(exc)
        if stderr is not None:
            return t.outcome(DOES_NOT_RUN, kind="hung", message=_hang_line(t, stderr, timeout))
        return t.outcome(NOT_TRIED, kind="device-error", message=exc.message)
    except BadInputError as exc:  # the runner cannot feed the model's own inputs (e.g. rank > 32)
        return t.outcome(NOT_TRIED, kind=UNFED, message=exc.message)
    except ToolkitError as exc:
        return t.outcome(NOT_TRIED, kind=type(exc).__name__, message=exc.message)
    if seen.kind is Kind.OK:
        outputs = tuple((seen.document or {}).get("outputs") or ())
        return t.outcome(RUNS, runtime=seen.runtime_label or t.runtime, arena_bytes=seen.arena_bytes,
                         outputs=outputs)
    return t.outcome(DOES_NOT_RUN, runtime=t.runtime, kind=str(seen.kind), message=seen.message, op=seen.op,
                     arena_bytes=seen.arena_bytes)


def _hang_line(t: RuntimeTry, stderr: str, timeout: float) -> str:
    from toolkit.runtimes.protocol import last_phase

    phase = last_phase(stderr) or "start-up"
    doing = "return from invoke" if phase in ("first-inference", "warmup", "timed") else f"finish {phase}"
    return f"{t.label.split(',')[0]} did not {doing} within {timeout:g} s"


# ---------------------------------------------------------------------------------------- verdicts
def run_tries(model_path: Path, targets: Sequence[TargetDescriptor], options: VerifyOptions
              ) -> dict[str, RuntimeOutcome]:
    """Every distinct try of every target, run concurrently (each in its own child process), by key."""
    unique: dict[str, RuntimeTry] = {}
    for target in targets:
        for t in tries_for(target):
            if options.emulated or t.provenance != "emulated":
                unique.setdefault(t.key, t)
    if not unique:
        return {}
    tflm = [t for t in unique.values() if t.transport == "tflm"]
    largest = max(tflm, key=lambda t: t.arena_bytes or float("inf"), default=None)
    run = {k: t for k, t in unique.items() if t.transport != "tflm" or t is largest}
    if largest is not None:
        run.setdefault(REFERENCE.key, REFERENCE)  # what TFLM's outputs are compared with
    with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(run)))) as pool:
        futures = {key: pool.submit(t.run, model_path, options) for key, t in run.items()}
        outcomes = {key: f.result() for key, f in futures.items()}
    if largest is not None:
        outcomes[largest.key] = checked_against_reference(outcomes[largest.key], outcomes[REFERENCE.key])
        for t in tflm:
            if t is not largest:
                outcomes[t.key] = smaller_arena_outcome(t, largest, outcomes[largest.key])
    return outcomes


#: the run TFLM's outputs are compared with: LiteRT on the same seeded inputs
REFERENCE = RuntimeTry("litert", "LiteRT CPU + XNNPACK", "litert", "host-run")


def checked_against_reference(seen: RuntimeOutcome, ref: RuntimeOutcome) -> RuntimeOutcome:
    """A TFLM run that returned is only a pass when its outputs match LiteRT's on the same inputs: TFLM
    overruns tensors whose shape is computed at run time and then returns wrong numbers without a word."""
    if seen.outcome != RUNS or ref.outcome != RUNS:
        return seen
    mismatch = output_mismatch(seen.outputs, ref.outputs)
    if mismatch is None:
        return seen
    return replace(seen, outcome=DOES_NOT_RUN, kind="wrong-output",
                   message=f"TFLM returned, but {mismatch} (LiteRT, same seeded inputs)")


def output_mismatch(got: Sequence[dict[str, Any]], ref: Sequence[dict[str, Any]]) -> str | None:
    """How the runner's output summaries differ beyond kernel rounding (2 quantization steps, or 1e-3 of the
    reference's range for floats), else None. Summaries only: min / max / mean per output."""
    if len(got) != len(ref):
        return f"it has {len(got)} outputs, the reference {len(ref)}"
    for k, (a, b) in enumerate(zip(got, ref, strict=True)):
        if a.get("shape") != b.get("shape"):
            return f"output {k} has shape {a.get('shape')}, the reference {b.get('shape')}"
        scale = (b.get("scales") or [0.0])[0] or 0.0
        span = max(abs(b.get("min", 0.0)), abs(b.get("max", 0.0)), 1e-6)
        tol = 2.0 if scale else 1e-5 + 1e-3 * span  # integer outputs are compared in quantization steps
        for stat in ("min", "max", "mean"):
            diff = abs(float(a.get(stat, 0.0)) - float(b.get(stat, 0.0)))
            if diff > tol:
                return (f"output {k}'s {stat} is {a.get(stat):.6g} where the reference has {b.get(stat):.6g} "
                        f"(|diff| {diff:.3g} > {tol:.3g})")
    return None


def smaller_arena_outcome(t: RuntimeTry, tried: RuntimeTry, seen: RuntimeOutcome) -> RuntimeOutcome:
    """TFLM targets differ only in RAM, and TFLM's arena need is fixed by the model (less than its measured
    total fails to allocate, as much succeeds): so ONE run with the largest arena decides all of them."""
    with_largest = f"measured with the largest arena asked for, {tried.arena_bytes or 0:,} B"
    if seen.outcome != RUNS:
        arena = "Failed to resize buffer" in (seen.message or "")
        why = f"{with_largest}; this target has less" if arena else "the same TFLM run decides every MCU target"
        return replace(seen, key=t.key, label=t.label, message=f"{seen.message or seen.kind} ({why})")
    need, ram = seen.arena_bytes, t.arena_bytes
    if need is not None and ram is not None and need > ram:
        message = f"TFLM needs a {need:,} B arena ({with_largest}), more than this target's {ram:,} B of RAM"
        return replace(seen, key=t.key, label=t.label, outcome=DOES_NOT_RUN, kind="arena-over-ram",
                       message=message)
    if need is not None and ram is not None:  # the label names this target's RAM: say it was not the run's arena
        return replace(seen, key=t.key, label=t.label, message=f"TFLM needs a {need:,} B arena ({with_largest}), "
                                                               f"within this target's {ram:,} B of RAM")
    return replace(seen, key=t.key, label=t.label)


def unverified_reason(report: CheckReport) -> str | None:
    """Why ``--verify`` verified nothing for some target: the runner could feed the model's own inputs to none
    of its runtimes, so that target's verdict is only check's prediction (docs/EXIT_CODES.md: exit 2; a CI
    gating on --verify must not read 'verified' when nothing was). None when each target had a try or only
    lacked a runtime here."""
    unfed = [(r.target, why) for r in report.results if (why := unfed_message(r)) is not None]
    if not unfed:
        return None
    return (f"--verify tried no runtime for {', '.join(t for t, _ in unfed)}: {unfed[0][1]}; the verdict shown is "
            "check's prediction (run check without --verify to gate on the prediction alone)")


def evidence_for(target: TargetDescriptor, outcomes: dict[str, RuntimeOutcome]) -> Evidence:
    mine = [outcomes[t.key] for t in tries_for(target) if t.key in outcomes]
    tried = [o for o in mine if o.outcome != NOT_TRIED]
    return Evidence(tried[0] if tried else None, mine)


#: limits of the device itself that no runtime on this host can observe (RAM is: TFLM gets it as its arena)
DEVICE_LIMIT_RULES = frozenset({"model_over_flash"})


def verified_verdict(static: TargetVerdict, evidence: Evidence, where: str = "") -> TargetVerdict:
    """The static verdict replaced by the primary try's outcome; the prediction is kept beside it."""
    primary = evidence.primary
    if primary is None:
        return replace(static, outcomes=evidence.outcomes)
    findings = list(static.findings)
    if primary.outcome == DOES_NOT_RUN:
        verdict = DOES_NOT_RUN
        findings.append(Finding("verified_does_not_run", "error",
                                f"{primary.label}: {primary.message or primary.kind}{where}", primary.op))
    else:
        findings = [_contradicted(f, primary) for f in findings]
        if any(f.rule in DEVICE_LIMIT_RULES and f.severity == "error" for f in static.findings):
            verdict = DOES_NOT_RUN  # the runtime ran here, but the device's flash cannot hold the model
        else:
            verdict = static.verdict if static.verdict != DOES_NOT_RUN else RUNS
    for o in evidence.outcomes if primary.outcome == RUNS else ():  # else the error above already says it
        if o is not primary and o.outcome == DOES_NOT_RUN:
            findings.append(Finding("verified_alternative_fails", "warning",
                                    f"{o.label}: {o.message or o.kind} (the target's own runtime ran it)", o.op))
    measured = primary.arena_bytes if primary.outcome == RUNS else None
    return replace(static, verdict=verdict, findings=findings, evidence="verified", predicted_verdict=static.verdict,
                   outcomes=evidence.outcomes, arena_measured_bytes=measured)


def _contradicted(finding: Finding, primary: RuntimeOutcome) -> Finding:
    """A static error the runtime's run disproved stays visible (it is why the prediction was wrong), but
    as a warning that says so: a verified 'runs' is never shown beside an error it contradicts."""
    if finding.severity != "error" or finding.rule in DEVICE_LIMIT_RULES:
        return finding
    return replace(finding, severity="warning",
                   message=f"PREDICTION WRONG: {primary.label} ran it, yet predicted: {finding.message}")


def _loop_location(model: Any) -> str:
    """Where a hang most likely is: the first WHILE (a runtime that never returns is looping there)."""
    op = next((op for op in model.operators() if op.name == "WHILE"), None)
    return f" (WHILE at subgraph {op.subgraph} op {op.index})" if op is not None else ""


def verify_report(model: Any, report: CheckReport, targets: Sequence[TargetDescriptor],
                  options: VerifyOptions = VerifyOptions()) -> CheckReport:
    """``report`` (from ``check_model``) with each target's verdict decided by the runtimes tried here."""
    from toolkit.targets.verify_gpu import (  # issue 11's evidence
        gpu_attempt,
        has_measured_gpu,
        require_gpu_driver,
        verify_delegates,
    )

    by_name = {t.name: t for t in targets}
    require_gpu_driver([by_name[r.target] for r in report.results])  # no Vulkan ICD: exit 3 before any try
    with ThreadPoolExecutor(max_workers=1) as gpu_pool:  # the accelerator run goes beside the CPU tries
        gpu = None
        if any(has_measured_gpu(by_name[r.target]) for r in report.results):
            gpu = gpu_pool.submit(gpu_attempt, model, options.seed, options.timeout * 3)
        outcomes = run_tries(Path(model.path), [by_name[r.target] for r in report.results], options)
        if gpu is not None:
            gpu.result()
    results = []
    for r in report.results:
        evidence = evidence_for(by_name[r.target], outcomes)
        hung = evidence.primary is not None and evidence.primary.kind == "hung"
        results.append(verified_verdict(r, evidence, _loop_location(model) if hung else ""))
    results = verify_delegates(model, results, by_name, seed=options.seed, timeout=options.timeout * 3,
                               attempt=gpu)
    return replace(report, results=results)
