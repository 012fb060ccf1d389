"""`edgetk devices check`: what is on the device, and what to install when something is missing.

Runs a few commands through the device's transport (so it checks exactly the path bench will use):
``uname -m``, /etc/os-release (or Android's getprop), and a small Python script that reports the Python
version and which runtimes are importable, without importing the interpreters themselves (that takes
seconds on a small board and can crash on an unsupported CPU).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit.child_output import last_json_object
from toolkit.errors import DeviceError
from toolkit.transports.base import Transport

_PY_PROBE = r"""
import importlib.util, json, platform, sys
def ver(mod, dist):
    if importlib.util.find_spec(mod) is None:
        return None
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "installed"
print(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
  "numpy": ver("numpy", "numpy"), "ai_edge_litert": ver("ai_edge_litert", "ai-edge-litert"),
  "tflite_runtime": ver("tflite_runtime", "tflite-runtime")}))
"""


@dataclass
class DeviceFacts:
    arch: str = ""
    os: str = ""
    python: str | None = None
    numpy: str | None = None
    runtimes: dict[str, str | None] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    #: how bench will run a model there: "python-runner" (the runner file) or "benchmark_model" (adb, no Python)
    path: str = "python-runner"
    benchmark_binary: str | None = None  # where the benchmark_model binary is (path "benchmark_model")
    binary_found: bool | None = None  # the host file or the device executable exists
    #: LiteRT's inference_diff (GPU-vs-CPU numerics for bench --accelerator gpu): where, and whether it is there
    inference_diff_binary: str | None = None
    inference_diff_found: bool | None = None

    @property
    def ready(self) -> bool:
        if self.path == "benchmark_model":
            return bool(self.binary_found)
        return bool(self.python and self.numpy and any(self.runtimes.values()))

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "ready": self.ready}


def _os_name(transport: Transport) -> str:
    res = transport.run(["cat", "/etc/os-release"], timeout=60)
    for line in res.stdout.splitlines() if res.ok else []:
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    res = transport.run(["getprop", "ro.build.version.release"], timeout=60)
    return f"Android {res.stdout.strip()}" if res.ok and res.stdout.strip() else "unknown"


def probe_device(transport: Transport) -> DeviceFacts:
    """Facts about a connected device, with one install hint per missing piece."""
    facts = DeviceFacts()
    uname = transport.run(["uname", "-m"], timeout=60)
    facts.arch = uname.stdout.strip() if uname.ok else "unknown"
    facts.os = _os_name(transport)
    if transport.benchmark_binary:
        return _benchmark_binary_facts(transport, facts)
    res = transport.run([*transport.python_argv(), "-c", _PY_PROBE], timeout=300)
    if not res.ok:
        facts.hints.append(
            f"{' '.join(transport.python_argv())} does not run on the device ({res.stderr.strip()[:120] or res.returncode}): "
            "install Python 3 (Debian/Raspberry Pi OS: sudo apt install python3 python3-numpy; "
            "Android: Termux `pkg install python`), or set python = in devices.toml"
        )
        if transport.kind == "adb":
            facts.hints.append("a phone without Python: set benchmark_binary = in devices.toml to LiteRT's "
                               "benchmark_model (`edgetk android setup`); bench then runs it instead of the runner")
        return facts
    info = last_json_object(res.stdout)
    if info is None:
        raise DeviceError(f"the Python probe printed no result on the device: {res.stdout.strip()[-120:]!r}")
    facts.arch = info.get("machine") or facts.arch
    facts.python, facts.numpy = info["python"], info["numpy"]
    facts.runtimes = {"ai_edge_litert": info["ai_edge_litert"], "tflite_runtime": info["tflite_runtime"]}
    if not facts.numpy:
        facts.hints.append("numpy is missing: sudo apt install python3-numpy (or pip install 'numpy<2')")
    if not any(facts.runtimes.values()):
        facts.hints.append(_runtime_hint(facts.arch, facts.python))
    return facts


def check_device(name: str, *, inventory: Path | str | None = None, trust_new_host_key: bool = False,
                 ask_password: bool = False) -> DeviceFacts:
    """`edgetk devices check NAME`: connect to the inventory device and probe it (closed afterwards)."""
    from toolkit.devices.connect import transport_for_device

    with transport_for_device(name, inventory=inventory, trust_new_host_key=trust_new_host_key,
                              ask_password=ask_password) as transport:
        return probe_device(transport)


def _tool_found(transport: Transport, binary: str) -> bool:
    """A host file (bench pushes it, content-cached, and makes it executable) or an executable on the device."""
    return Path(binary).expanduser().is_file() or transport.run(["test", "-x", binary], timeout=60).ok


def _benchmark_binary_facts(transport: Transport, facts: DeviceFacts) -> DeviceFacts:
    """The benchmark_model path (phones): no Python needed; is the binary there, is inference_diff (GPU
    numerics), and what to do about what is missing."""
    binary = transport.benchmark_binary or ""
    facts.path, facts.benchmark_binary = "benchmark_model", binary
    facts.binary_found = _tool_found(transport, binary)
    if not facts.binary_found:
        facts.hints.append(f"benchmark_binary {binary!r} is neither a file on this host nor an executable on the "
                           "device: `edgetk android setup` downloads LiteRT's benchmark_model for arm64, then set "
                           "benchmark_binary = to its path in devices.toml")
    diff = transport.inference_diff_binary
    facts.inference_diff_binary = diff
    if diff is None:
        facts.hints.append("GPU numerics (bench --accelerator gpu) are not compared without inference_diff: "
                           "`edgetk android setup --tool inference_diff`, then set inference_diff_binary = to its "
                           "path in devices.toml")
        return facts
    facts.inference_diff_found = _tool_found(transport, diff)
    if not facts.inference_diff_found:
        facts.hints.append(f"inference_diff_binary {diff!r} is neither a file on this host nor an executable on "
                           "the device: `edgetk android setup --tool inference_diff` downloads it, then fix the "
                           "path in devices.toml")
    return facts


def _runtime_hint(arch: str, python: str) -> str:
    if arch in ("armv7l", "armv6l"):
        return ("no TFLite runtime: pip install tflite-runtime==2.14.0 (armv7l wheels exist for Python 3.7-3.11; "
                "ai-edge-litert has no 32-bit ARM wheels)")
    return (f"no TFLite runtime: pip install ai-edge-litert (wheels for {arch or 'this arch'}, Python {python}), "
            "or pip install tflite-runtime==2.14.0 (Python <= 3.11)")
