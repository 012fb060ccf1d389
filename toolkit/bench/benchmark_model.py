"""Android without Python: LiteRT's official ``benchmark_model`` binary over adb, read into the bench document.

Phones have no Python and there is no Android wheel of ai-edge-litert or tflite-runtime; Android developers
push ``benchmark_model`` (a bionic binary from the LiteRT release) and run it with ``--graph``,
``--num_threads``, ``--use_xnnpack``, ``--use_gpu``, ``--enable_op_profiling``, ``--num_runs`` and
``--warmup_runs``. When a device entry names ``benchmark_binary``, ``bench`` does exactly that and parses the
tool's documented output (tflite/tools/benchmark/README.md and benchmark_model.cc of LiteRT):

* ``count=50 first=… curr=… min=… max=… avg=… std=…`` (newer releases add ``p5=… median=… p95=…``), once for
  the warm-up phase and once for the timed runs;
* ``Inference timings in us: Init: …, First inference: …, Warmup (avg): …, Inference (avg): …``
  (lines may carry a logging prefix such as ``INFO: `` or Android's ``I tflite  : ``);
* ``Memory footprint delta from the start of the tool (MB): init=… overall=…`` (older releases:
  ``Peak memory footprint (MB): init=… overall=…``) and
  ``Overall peak memory footprint (MB) via periodic monitoring: …``;
* with op profiling, the "Run Order" table after ``Operator-wise Profiling Info for Regular Benchmark Runs:``
  (``[node type] [start] [first] [avg ms] [%] [cdf%] [mem KB] [times called] [Name]``; older releases have no
  ``[start]`` column; ``[Name]`` ends with ``:NODE_INDEX``);
* which delegate took the graph: ``Explicitly applied GPU delegate, and the model graph will be completely
  executed by the delegate.`` (``partially executed by the delegate w/ N delegate kernels.``; ``Though GPU
  delegate is explicitly applied, the model graph will not be executed by the delegate.``); a delegate that
  refuses the graph makes the tool stop with ``Failed to apply GPU delegate.`` after the reason (e.g.
  "Attempting to use a delegate that only supports static-sized tensors with a graph that has dynamic-sized
  tensors"): with ``--accelerator gpu`` that is the verdict "refused", a result without timings, not a crash. A build or phone
  without GPU support says ``GPU acceleration is unsupported on this platform.`` and runs on the CPU anyway,
  so ``bench --accelerator gpu`` reads these lines rather than trusting the flag it passed;
* the parameters the tool reports using (``#threads used for CPU inference: [4]`` or, older,
  ``Num threads: [4]``; ``Use gpu: [1]``; ``Use xnnpack: [1]``).

The document it becomes (``edgetk.benchmark-model/1``) stands where the runner's document stands in a bench
result, its timings measured on the phone, and the op table fills ``per_op`` (source ``profiler``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolkit.errors import BadInputError, DeviceError, RuntimeCrashError
from toolkit.transports.base import Transport

SCHEMA = "edgetk.benchmark-model/1"
PROFILER_METHOD = "benchmark_model --enable_op_profiling: the runtime's own op profiler, average per op"
REMOTE_BINARY = "benchmark_model"
_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_SUMMARY = re.compile(rf"Inference timings in us: Init: {_NUM}, First inference: {_NUM}, "
                      rf"Warmup \(avg\): {_NUM}, Inference \(avg\): {_NUM}")
_LEGACY_SUMMARY = re.compile(rf"Average inference timings in us: Warmup: {_NUM}, Init: {_NUM}, Inference: {_NUM}")
_COUNT = re.compile(r"count=(\d+)((?: \w+=[-+\d.eE]+)*)")
_TIMED = re.compile(r"(?:^|\s)count=\d+ first=")  # a phase's line (not the profiler's "Timings", "Memory")
_MEMORY = re.compile(rf"(?:Memory footprint delta from the start of the tool|Peak memory footprint) \(MB\): "
                     rf"init={_NUM} overall={_NUM}")
_PEAK = re.compile(rf"Overall peak memory footprint \(MB\) via periodic monitoring: {_NUM}")
_PROFILE_HEADER = "Operator-wise Profiling Info for Regular Benchmark Runs:"
_NODE_INDEX = re.compile(r":(\d+)$")
_APPLIED = re.compile(r"Explicitly applied (\w+) delegate, and the model graph will be (completely|partially) "
                      r"executed by the delegate(?: w/ (\d+) delegate kernels)?")
_NOT_APPLIED = re.compile(r"Though (\w+) delegate is explicitly applied, the model graph will not be executed")
_SETTING = re.compile(r"(#threads used for CPU inference|Num threads|Use gpu|Use xnnpack): \[([^\]]*)\]")
_GPU_REFUSED = "Failed to apply GPU delegate"
_SETTING_KEYS = {"#threads used for CPU inference": "num_threads", "Num threads": "num_threads",
                 "Use gpu": "use_gpu", "Use xnnpack": "use_xnnpack"}


def _stats(line: str) -> dict[str, float]:
    match = _COUNT.search(line)
    if not match:
        return {}
    fields = dict(pair.split("=", 1) for pair in match.group(2).split())
    return {"count": float(match.group(1)), **{k: float(v) for k, v in fields.items()}}


def _profile_rows(lines: list[str]) -> list[dict[str, Any]]:
    """The Run Order table of the regular runs: one row per node, in execution order."""
    marks = [i for i, ln in enumerate(lines) if _PROFILE_HEADER in ln]
    if not marks:  # releases before the header: the run's table is the only "Run Order" without an init header
        marks = [i for i, ln in enumerate(lines) if "Run Order" in ln
                 and not any("Benchmark Initialization" in p for p in lines[max(i - 2, 0):i])]
    if not marks:
        return []
    start = marks[0]
    rows, columns = [], None
    for line in lines[start + 1:]:
        cells = [c.strip() for c in re.split(r"\t|\s{2,}", line.strip()) if c.strip()]
        if not cells:
            continue
        if cells[0] == "[node type]":
            columns = [c.strip("[]") for c in cells]
            continue
        if columns is None:
            continue
        if line.lstrip().startswith("=") and rows:  # the next table (Top by Computation Time): done
            break
        if len(cells) < len(columns) - 1:
            continue
        row = dict(zip(columns, cells, strict=False))
        name = row.get("Name", "")
        index = _NODE_INDEX.search(name)
        try:
            rows.append({"op": row["node type"], "ms": float(row["avg ms"]), "first_ms": float(row["first"]),
                         "index": int(index.group(1)) if index else len(rows),
                         "name": name, "times_called": int(float(row.get("times called", 1) or 1))})
        except (KeyError, ValueError):
            continue
    return rows


def _delegates(lines: list[str]) -> list[dict[str, Any]]:
    """The delegates benchmark_model applied, as it said: coverage "full" | "partial" | "none"."""
    out = []
    for line in lines:
        if applied := _APPLIED.search(line):
            kernels = applied.group(3)
            out.append({"name": applied.group(1), "coverage": "full" if applied.group(2) == "completely" else "partial",
                        "kernels": int(kernels) if kernels else None, "line": applied.group(0)})
        elif refused := _NOT_APPLIED.search(line):
            out.append({"name": refused.group(1), "coverage": "none", "kernels": 0, "line": refused.group(0)})
    return out


def _settings(lines: list[str]) -> dict[str, Any]:
    """The parameters the tool reported using (it logs the ones that differ from its defaults)."""
    found: dict[str, Any] = {}
    for line in lines:
        for key, value in _SETTING.findall(line):
            name = _SETTING_KEYS[key]
            if name == "num_threads":
                found[name] = int(value) if value.lstrip("-").isdigit() else value
            else:
                found[name] = value.strip().lower() in ("1", "true")
    return found


def _gpu_reason(lines: list[str]) -> str | None:
    """The tool's own line about the GPU when the delegate was not applied (e.g. unsupported platform)."""
    return next((ln.split(": ", 1)[-1].strip() for ln in lines if "GPU" in ln and "Use gpu" not in ln
                 and not _APPLIED.search(ln)), None)


def parse_benchmark_output(text: str) -> dict[str, Any]:
    """benchmark_model's stdout/stderr -> the figures it printed (µs turned into ms). BadInput-free: a
    missing summary line is a DeviceError naming the tool's last line (it failed or is not benchmark_model)."""
    lines = text.splitlines()
    counts = [_stats(ln) for ln in lines if _TIMED.search(ln) and "Timings (microseconds)" not in ln]
    summary = next((m for m in map(_SUMMARY.search, lines) if m), None)
    legacy = next((m for m in map(_LEGACY_SUMMARY.search, lines) if m), None) if summary is None else None
    if summary is None and legacy is None:
        tail = next((ln.strip() for ln in reversed(lines) if ln.strip()), "no output")
        raise DeviceError(f"benchmark_model printed no 'Inference timings in us' line: {tail[:200]}")
    if summary:
        init_us, first_us, warm_us, avg_us = (float(g) for g in summary.groups())
    else:
        warm_us, init_us, avg_us = (float(g) for g in legacy.groups())
        first_us = None
    timed = counts[-1] if counts else {}
    memory = next((m for m in map(_MEMORY.search, lines) if m), None)
    peak = next((m for m in map(_PEAK.search, lines) if m), None)

    def ms(key: str) -> float | None:
        return timed[key] / 1000 if key in timed else None

    return {
        "init_ms": init_us / 1000, "first_inference_ms": first_us / 1000 if first_us is not None else None,
        "warmup_mean_ms": warm_us / 1000, "inference_avg_ms": avg_us / 1000,
        "latency_ms": {"runs": int(timed.get("count", 0)), "min": ms("min"), "mean": avg_us / 1000,
                       "p50": ms("median"), "max": ms("max"), "std": ms("std"), "p5": ms("p5"), "p95": ms("p95"),
                       "samples": None, "truncated_by_max_seconds": False},
        "memory_mb": {"init": float(memory.group(1)) if memory else None,
                      "overall": float(memory.group(2)) if memory else None,
                      "peak": float(peak.group(1)) if peak else None},
        "op_profile": _profile_rows(lines),
        "delegates": _delegates(lines), "tool_settings": _settings(lines), "gpu_note": _gpu_reason(lines),
    }


def benchmark_argv(binary: str, model: str, options: Any) -> list[str]:
    """The documented flags, from the bench options (``accelerator == "gpu"`` adds --use_gpu=true)."""
    argv = [binary, f"--graph={model}", f"--num_runs={options.runs}", f"--warmup_runs={max(options.warmup, 1)}",
            f"--use_xnnpack={'true' if options.xnnpack else 'false'}",
            f"--use_gpu={'true' if options.accelerator == 'gpu' else 'false'}",
            f"--enable_op_profiling={'true' if options.per_op else 'false'}"]
    if options.threads:
        argv.append(f"--num_threads={options.threads}")
    return argv


def _device_facts(transport: Transport) -> dict[str, Any]:
    uname = transport.run(["uname", "-m"], timeout=60)
    model = transport.run(["getprop", "ro.product.model"], timeout=60)
    release = transport.run(["getprop", "ro.build.version.release"], timeout=60)
    return {"arch": uname.stdout.strip() if uname.ok else "unknown",
            "cpu_model": model.stdout.strip() if model.ok else "", "board": "",
            "cores": None, "python": "none (benchmark_model)", "numpy": "none",
            "system": f"Android {release.stdout.strip()}" if release.ok and release.stdout.strip() else "unknown"}


def install_binary(transport: Transport, binary: str, *, key: str = "benchmark_binary",
                   remote_name: str = REMOTE_BINARY, tool: str = "benchmark_model") -> str:
    """The device path of ``binary``: a host file is pushed (content-cached) and made executable; a path
    that is not a host file must already be executable on the device."""
    if Path(binary).expanduser().is_file():
        remote = transport.put(Path(binary).expanduser(), remote_name)
        transport.run(["chmod", "755", remote], timeout=60)
        return remote
    probe = transport.run(["test", "-x", binary], timeout=60)
    if not probe.ok:
        raise BadInputError(f"{key} {binary!r}: neither a file on this host nor an executable on the device "
                            f"(download it with `edgetk android setup --tool {tool}`, or fix the path in devices.toml)")
    return binary


def run_benchmark_model(transport: Transport, binary: str, model_path: Path, options: Any) -> dict[str, Any]:
    """Push the model (and the binary when it is a host file), run benchmark_model, read its output into an
    ``edgetk.benchmark-model/1`` document. A signal or a non-zero exit is a RuntimeCrashError."""
    remote_binary = install_binary(transport, binary)
    remote_model = transport.put(Path(model_path), "model.tflite")
    argv = benchmark_argv(remote_binary, remote_model, options)
    result = transport.run(argv, timeout=options.timeout)
    output = result.stdout + "\n" + result.stderr
    if result.signal:
        raise RuntimeCrashError(f"benchmark_model died running {Path(model_path).name}", signal_name=result.signal)
    refused = options.accelerator == "gpu" and result.returncode != 0 and _GPU_REFUSED in output
    if result.returncode != 0 and not refused:
        tail = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "no output")
        raise RuntimeCrashError(f"benchmark_model failed on {Path(model_path).name} (exit {result.returncode}): "
                                f"{tail[:200]}")
    parsed = refused_output(output) if refused else parse_benchmark_output(output)
    return {"schema": SCHEMA, "tool": {"name": "benchmark_model", "binary": remote_binary, "argv": argv[1:]},
            "runtime": {"name": "litert", "version": "benchmark_model (the binary reports no version)"},
            "device": _device_facts(transport),
            "options": {"runs": options.runs, "warmup": options.warmup, "threads": options.threads,
                        "xnnpack": options.xnnpack, "gpu": options.accelerator == "gpu",
                        "op_profiling": bool(options.per_op)},
            **parsed}


def refused_output(text: str) -> dict[str, Any]:
    """A GPU delegate that refused the graph ("Failed to apply GPU delegate.", then "Benchmarking failed."):
    a verdict, not a crash — the document of a run with no timings and the delegate's own reason line."""
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if _GPU_REFUSED in ln)
    reason = next((ln.split(": ", 1)[-1].strip() for ln in reversed(lines[:at]) if "ERROR" in ln), None)
    return {"init_ms": None, "first_inference_ms": None, "warmup_mean_ms": None, "inference_avg_ms": None,
            "memory_mb": {"init": None, "overall": None, "peak": None}, "op_profile": [],
            "delegates": [{"name": "GPU", "coverage": "refused", "kernels": 0, "line": lines[at].split(": ", 1)[-1]}],
            "tool_settings": _settings(lines), "gpu_note": reason}


def gpu_delegate(doc: dict[str, Any]) -> dict[str, Any]:
    """What the phone's GPU delegate did in this run, from the tool's own lines (not from the flag passed):
    {"requested", "applied", "coverage": "full" | "partial" | "none" | "refused" | None, "kernels", "evidence"}
    ("refused": the delegate failed to apply, so the tool stopped: an app enabling it gets an error at load)."""
    requested = bool((doc.get("options") or {}).get("gpu"))
    gpu = next((d for d in doc.get("delegates") or [] if d["name"].upper() == "GPU"), None)
    evidence = gpu["line"] if gpu else (doc.get("gpu_note") or "no 'Explicitly applied GPU delegate' line")
    if gpu and gpu["coverage"] == "refused" and doc.get("gpu_note"):
        evidence = f"{evidence} {doc['gpu_note']}"
    return {"requested": requested, "applied": bool(gpu and gpu["coverage"] in ("full", "partial")),
            "coverage": gpu["coverage"] if gpu else None, "kernels": gpu["kernels"] if gpu else None,
            "evidence": evidence}


def tool_findings(doc: dict[str, Any], where: str) -> list[tuple[str, str, str]]:
    """(rule, severity, message) for what the tool did differently from what was asked: a GPU delegate not
    applied (the figures are then the CPU's: an error), applied to part of the graph, or settings that differ."""
    found = []
    gpu = gpu_delegate(doc)
    if gpu["coverage"] == "refused":
        found.append(("gpu-refused", "error", f"the phone's GPU delegate REFUSED the model on {where} "
                      f"({gpu['evidence']}): an app enabling it gets an error at load; no GPU latency exists"))
    elif gpu["requested"] and not gpu["applied"]:
        found.append(("gpu-not-applied", "error", f"--accelerator gpu: benchmark_model did NOT run the GPU delegate on "
                      f"{where} ({gpu['evidence']}): these are CPU timings, not the GPU's"))
    elif gpu["coverage"] == "partial":
        found.append(("gpu-partial", "warning", f"GPU delegate took part of the graph ({gpu['kernels']} delegate "
                      "kernels); the rest ran on the CPU: the latency mixes both"))
    asked = doc.get("options") or {}
    said = doc.get("tool_settings") or {}
    wanted = {"num_threads": asked.get("threads"), "use_gpu": asked.get("gpu"), "use_xnnpack": asked.get("xnnpack")}
    for key, value in wanted.items():
        if value is not None and key in said and said[key] != value:
            found.append(("tool-settings", "warning", f"benchmark_model reports {key} = {said[key]}, edgetk asked "
                          f"for {value}"))
    return found


def gpu_prediction(doc: dict[str, Any], predicted: Any) -> tuple[dict[str, Any], tuple[str, str, str] | None]:
    """The op table's GPU verdict (``predicted``: a DelegateVerdict) beside what the phone's delegate did:
    ({"predicted", "ops_on_cpu", "source", "observed", "agrees"}, a PREDICTION WRONG finding or None). Only a
    delegate the tool applied (or said it would not execute) is evidence about the model; a phone without GPU
    support says nothing about it (agrees None)."""
    gpu = gpu_delegate(doc)
    observed = gpu["coverage"]
    block = {"predicted": predicted.coverage, "ops_on_cpu": list(predicted.ops_on_cpu), "source": predicted.source,
             "observed": observed, "agrees": None}
    if observed is None:
        return block, None
    block["agrees"] = predicted.coverage == observed
    if block["agrees"]:
        return block, None
    cpu = f" {predicted.ops_on_cpu}" if predicted.ops_on_cpu else ""
    return block, ("gpu-prediction-wrong", "warning", f"PREDICTION WRONG (gpu delegate): the op table predicted "
                   f"{predicted.coverage}{cpu}, the phone's GPU delegate did {observed} ({gpu['evidence']})")


def profiler_per_op(doc: dict[str, Any]) -> dict[str, Any] | None:
    """benchmark_model's op table as the ``per_op`` document (source ``profiler``), before ``complete_per_op``.
    Delegate nodes (XNNPACK, GPU) are one row for the ops they took: the profiler times them as one."""
    rows = doc.get("op_profile") or []
    if not rows:
        return None
    ops = [{"index": r["index"], "op": r["op"], "ms": r["ms"], "min_ms": None, "max_ms": None,
            "runs": None, "with_subgraphs": False} for r in rows]
    return {"method": PROFILER_METHOD, "source": "profiler", "ops": ops, "skipped": [], "failed": []}
