"""LiteRT's own GPU accelerator (ML Drift over WebGPU) on a software Vulkan (SwiftShader), run in a child.

This is how edgetk answers "what does the phone's GPU take?" without a phone: ai-edge-litert's
CompiledModel with ``HardwareAccelerator.GPU | CPU`` partitions the model exactly as the accelerator
decides, and says on stderr which op types it leaves to the CPU and why. The evidence is the
accelerator's **WebGPU backend on SwiftShader** (label ``EVIDENCE``): a phone runs the same engine
through OpenCL or Vulkan, whose op checks are largely, not provably, the same. Its latency is a CPU
emulating a GPU ("software-gpu"), never a phone's.

Vulkan: SwiftShader's ICD json from Debian's chromium package (``dpkg -L chromium chromium-common``) or
``$EDGETK_VK_ICD``; the Vulkan loader is the system's libvulkan.so.1 or the copy chromium ships beside
the ICD. ``XDG_RUNTIME_DIR`` gets a private 0700 directory.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.child_output import last_json_object
from toolkit.errors import DeviceError, MissingDependencyError, RuntimeCrashError
from toolkit.provenance import SHORT_NOTES, SOFTWARE_GPU
from toolkit.targets.delegate_verdict import DelegateReason

CHILD_SCRIPT = Path(__file__).with_name("gpu_child.py")
EVIDENCE = "litert-gpu-webgpu (SwiftShader)"
LATENCY_LABEL = SHORT_NOTES[SOFTWARE_GPU]  # "software GPU (SwiftShader) — not a phone's latency"
PROVENANCE = SOFTWARE_GPU
ICD_NAME = "vk_swiftshader_icd.json"
ICD_PACKAGES = ("chromium", "chromium-common")
KNOWN_ICD_PATHS = (Path("/usr/lib/chromium") / ICD_NAME,)
ICD_HINT = ("install Debian's chromium package (apt-get install chromium: it ships SwiftShader's "
            f"{ICD_NAME}), or set EDGETK_VK_ICD=/path/to/{ICD_NAME}")

#: Numerics pass/fail: |gpu - cpu| <= ATOL + RTOL * max|cpu| per output. Chosen from measurements on the
#: corpus with fp16 allowed (docs/GPU.md): fully accelerated models stay below 3e-4 relative to the
#: output's range; a broken partition is off by orders of magnitude.
NUMERICS_RTOL = 1e-2
NUMERICS_ATOL = 1e-3

_NOT_SUPPORTED_HEADER = "Following operations are not supported by GPU delegate:"
_SPLIT = re.compile(r"(\d+) operations will run on the GPU, and the remaining (\d+) operations? will run on the CPU")
_REASON = re.compile(r"^([A-Z][A-Z0-9_]*|[A-Za-z][A-Za-z0-9_]*): ?(.*)$")
_PARTITION_INIT = "Initializing WebGPU-based API from graph."
_STATIC_ONLY = "only supports static-sized tensors"
_REFUSED = "Failed to modify graph with delegate"
_PHASE = "edgetk-gpu-phase: "


@dataclass(frozen=True)
class VulkanIcd:
    """Where the software Vulkan driver is, and the loader directory to add when the system has none."""

    icd_json: Path
    loader_dir: Path | None


def find_vulkan_icd() -> VulkanIcd:
    """SwiftShader's ICD (env override, the chromium packages' file list, known paths) or MissingDependencyError."""
    override = os.environ.get("EDGETK_VK_ICD")
    candidates = [Path(override)] if override else [*_icds_from_dpkg(), *KNOWN_ICD_PATHS]
    icd = next((c for c in candidates if c.is_file()), None)
    if icd is None:
        raise MissingDependencyError("a Vulkan driver for LiteRT's GPU accelerator (SwiftShader)", ICD_HINT)
    loader_dir = None
    if ctypes.util.find_library("vulkan") is None:
        if not (icd.parent / "libvulkan.so.1").is_file():
            raise MissingDependencyError("the Vulkan loader (libvulkan.so.1)",
                                         "apt-get install libvulkan1 (or chromium, which ships a copy)")
        loader_dir = icd.parent
    return VulkanIcd(icd, loader_dir)


def _icds_from_dpkg() -> list[Path]:
    if shutil.which("dpkg") is None:
        return []
    proc = subprocess.run(["dpkg", "-L", *ICD_PACKAGES], capture_output=True, text=True, check=False, timeout=30)
    return [Path(line) for line in proc.stdout.splitlines() if line.endswith("/" + ICD_NAME)]


def accelerator_env(icd: VulkanIcd, runtime_dir: Path) -> dict[str, str]:
    """The child's environment: this one plus the ICD, the loader path and a private XDG_RUNTIME_DIR."""
    env = dict(os.environ, VK_ICD_FILENAMES=str(icd.icd_json), XDG_RUNTIME_DIR=str(runtime_dir))
    if icd.loader_dir is not None:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(icd.loader_dir), env.get("LD_LIBRARY_PATH")) if p)
    return env


@dataclass(frozen=True)
class DelegateLog:
    """What the accelerator said on stderr while it partitioned the model."""

    reasons: list[DelegateReason]
    gpu_ops: int
    cpu_ops: int
    partitions: int
    refused: str | None  # the static-sized-tensors refusal line, when the delegate refused the graph
    adapter: str | None

    @property
    def ops_on_cpu(self) -> list[str]:
        return sorted({r.op for r in self.reasons})


def parse_delegate_log(stderr: str) -> DelegateLog:
    """Reasons ("OP: why", after each 'not supported' header), GPU/CPU op counts summed over subgraphs,
    partitions (one WebGPU kernel initialisation each), the static-size refusal and the adapter line."""
    reasons: dict[tuple[str, str], None] = {}
    gpu = cpu = partitions = 0
    refused = adapter = None
    in_block = False
    for raw in stderr.splitlines():
        line = raw.strip()
        if line.endswith(_NOT_SUPPORTED_HEADER):
            in_block = True
            continue
        split = _SPLIT.search(line)
        if split:
            gpu, cpu, in_block = gpu + int(split.group(1)), cpu + int(split.group(2)), False
            continue
        if _PARTITION_INIT in line:
            partitions += 1
        if _STATIC_ONLY in line and refused is None:
            refused = line[line.find("Attempting"):] if "Attempting" in line else line
        if "Selected adapter:" in line:
            adapter = line.split("Selected adapter:", 1)[1].strip()
        if in_block:
            match = _REASON.match(line)
            if match and not line.startswith(("INFO", "WARNING", "ERROR")):
                reasons.setdefault((match.group(1), match.group(2).strip()), None)
            else:
                in_block = False
    merged = _merge_reasons([DelegateReason(op, msg) for op, msg in reasons])
    return DelegateLog(merged, gpu, cpu, partitions, refused, adapter)


def _merge_reasons(reasons: list[DelegateReason]) -> list[DelegateReason]:
    """Drop an op's empty reason line when the same op also has a real one (the delegate prints both)."""
    with_text = {r.op for r in reasons if r.message}
    return [r for r in reasons if r.message or r.op not in with_text]


@dataclass(frozen=True)
class OutputNumerics:
    name: str
    dtype: str
    shape: list[int]
    max_abs: float
    max_rel: float
    cpu_max_abs_value: float
    finite: bool

    @property
    def passed(self) -> bool:
        return self.finite and self.max_abs <= NUMERICS_ATOL + NUMERICS_RTOL * self.cpu_max_abs_value


@dataclass(frozen=True)
class GpuRun:
    """One model through the accelerator. ``coverage``: "full" | "partial" | "refused" (the delegate would
    not take the graph at all: an app gets an error, not a fallback) | None when the run itself failed
    (``error``). ``numerics``: GPU vs LiteRT CPU on the same seeded inputs (fp16 allowed unless
    ``enforce_f32``); ``latency_ms`` is software-GPU time (``LATENCY_LABEL``)."""

    model: str
    loaded: bool
    coverage: str | None
    ops_on_cpu: list[str]
    partitions: int
    reasons: list[DelegateReason]
    gpu_ops: int
    cpu_ops: int
    numerics: list[OutputNumerics] = field(default_factory=list)
    numerics_error: str | None = None
    latency_ms: list[float] = field(default_factory=list)
    load_ms: float | None = None
    error: str | None = None
    litert_version: str = "unknown"
    adapter: str | None = None
    enforce_f32: bool = False
    evidence: str = EVIDENCE

    @property
    def numerics_passed(self) -> bool | None:
        return None if not self.numerics else all(n.passed for n in self.numerics)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["numerics_passed"] = self.numerics_passed
        doc["numerics_tolerance"] = {"rtol_of_output_range": NUMERICS_RTOL, "atol": NUMERICS_ATOL}
        doc["latency_label"] = LATENCY_LABEL
        doc["provenance"] = PROVENANCE
        return doc


def run_gpu_accelerator(model_path: Path | str, *, timeout: float = 180, seed: int = 0, runs: int = 1,
                        warmup: int = 0, numerics: bool = True, enforce_f32: bool = False) -> GpuRun:
    """Run ``model_path`` through LiteRT's GPU accelerator in a child process and say what it did.

    Raises MissingDependencyError (exit 3) when no Vulkan ICD / loader / WebGPU adapter exists,
    RuntimeCrashError (exit 6) when the child dies by a signal or stops answering within ``timeout``.
    A refusal by the delegate is a result (coverage "refused"), not an error.
    """
    from toolkit.transports.host_process import run_child

    icd = find_vulkan_icd()
    argv = [sys.executable, str(CHILD_SCRIPT), "--model", str(Path(model_path).resolve()), "--seed", str(seed),
            "--runs", str(runs), "--warmup", str(warmup)]
    argv += [] if numerics else ["--no-cpu"]
    argv += ["--enforce-f32"] if enforce_f32 else []
    with tempfile.TemporaryDirectory(prefix="edgetk-gpu-") as tmp:
        runtime_dir = Path(tmp) / "xdg"
        runtime_dir.mkdir(mode=0o700)
        try:
            result = run_child(argv, cwd=Path(tmp), env=accelerator_env(icd, runtime_dir), timeout=timeout,
                               what="LiteRT GPU accelerator")
        except DeviceError as exc:
            raise RuntimeCrashError(f"LiteRT GPU accelerator: {exc} on {model_path}") from exc
    doc = last_json_object(result.stdout)
    if doc is None:
        phase = _last_phase(result.stderr)
        raise RuntimeCrashError(f"LiteRT GPU accelerator child failed during {phase} on {model_path}",
                                signal_name=result.signal)
    return _gpu_run(str(model_path), doc, parse_delegate_log(result.stderr), result.stderr)


def _last_phase(stderr: str) -> str:
    phases = [line[len(_PHASE):].strip() for line in stderr.splitlines() if line.startswith(_PHASE)]
    return phases[-1] if phases else "start-up"


def _gpu_run(model: str, doc: dict[str, Any], log: DelegateLog, stderr: str) -> GpuRun:
    if not doc.get("loaded") and "No adapters found" in stderr:
        raise MissingDependencyError("a WebGPU adapter for LiteRT's GPU accelerator (Vulkan found no device)",
                                     ICD_HINT)
    coverage, error = _coverage(doc, log, stderr)
    return GpuRun(
        model=model, loaded=bool(doc.get("loaded")), coverage=coverage, ops_on_cpu=log.ops_on_cpu,
        partitions=log.partitions, reasons=log.reasons, gpu_ops=log.gpu_ops, cpu_ops=log.cpu_ops,
        numerics=[OutputNumerics(**n) for n in doc.get("numerics", [])],
        numerics_error=doc.get("cpu_error"), latency_ms=list(doc.get("latency_ms", [])), load_ms=doc.get("load_ms"),
        error=error, litert_version=doc.get("litert_version", "unknown"), adapter=log.adapter,
        enforce_f32=bool(doc.get("enforce_f32")),
    )


def _coverage(doc: dict[str, Any], log: DelegateLog, stderr: str) -> tuple[str | None, str | None]:
    if not doc.get("loaded"):
        if log.refused or _REFUSED in stderr:
            return "refused", None
        return None, doc.get("load_error") or "the model did not load with the GPU accelerator"
    # The delegate's own log wins over CompiledModel.is_fully_accelerated(): seen True for a graph of nothing
    # but resource-variable ops that the log lists as left to the CPU.
    coverage = "full" if doc.get("fully_accelerated") and not log.reasons else "partial"
    return coverage, doc.get("run_error")
