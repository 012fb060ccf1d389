"""`edgetk android setup`: fetch LiteRT's official prebuilt benchmark_model (or inference_diff) for a phone's ABI.

The binaries are the TensorFlow Lite tools' nightly builds that the LiteRT documentation links
(tflite/tools/benchmark/README.md: "android_aarch64_benchmark_model" / "android_arm_benchmark_model";
tools/evaluation/tasks/inference_diff/README.md: "android_aarch64_eval_inference_diff" / "android_arm_…"). They are not versioned releases: the
URL is ``nightly/latest``, so the file's sha256 is recorded next to it (``benchmark_model.json``) to say
which build a result came from. On a machine without internet the download fails in one line (exit 3) with
the URL, so it can be fetched elsewhere and named in devices.toml (``benchmark_binary = PATH`` or
``inference_diff_binary = PATH``).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from pathlib import Path

from toolkit.errors import BadInputError, MissingDependencyError
from toolkit.fileio import write_bytes

BASE_URL = "https://storage.googleapis.com/tensorflow-nightly-public/prod/tensorflow/release/lite/tools/nightly/latest"
VERSION = "TFLite tools nightly, latest (not a pinned release; the sha256 is recorded)"
#: Android ABI -> file name prefix under BASE_URL
ABIS = {"arm64-v8a": "android_aarch64", "armeabi-v7a": "android_arm"}
#: tool -> (file name suffix under BASE_URL, the devices.toml key that names it)
TOOLS = {"benchmark_model": ("benchmark_model", "benchmark_binary"),
         "inference_diff": ("eval_inference_diff", "inference_diff_binary")}


def tool_url(abi: str, tool: str = "benchmark_model", base_url: str = BASE_URL) -> str:
    if abi not in ABIS:
        raise BadInputError(f"unknown Android ABI '{abi}' (known: {', '.join(ABIS)})")
    if tool not in TOOLS:
        raise BadInputError(f"unknown tool '{tool}' (known: {', '.join(TOOLS)})")
    return f"{base_url.rstrip('/')}/{ABIS[abi]}_{TOOLS[tool][0]}"


def benchmark_model_url(abi: str, base_url: str = BASE_URL) -> str:
    return tool_url(abi, "benchmark_model", base_url)


def download_benchmark_model(abi: str, out_dir: Path, *, base_url: str = BASE_URL, timeout: float = 30.0,
                             tool: str = "benchmark_model") -> Path:
    """Download ``tool`` (benchmark_model or inference_diff) for ``abi`` into ``out_dir`` (atomic, executable)
    and record its URL, version and sha256 beside it. No network: MissingDependencyError naming the URL."""
    url = tool_url(abi, tool, base_url)
    key = TOOLS[tool][1]
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a fixed https URL or --base-url
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MissingDependencyError(
            f"LiteRT's {tool} for {abi}",
            f"download of {url} ({VERSION}) failed: {reason}; fetch it on a machine with internet and set "
            f"{key} = PATH in devices.toml") from None
    path = write_bytes(Path(out_dir) / tool, data, mode=0o755)
    record = {"url": url, "version": VERSION, "abi": abi, "tool": tool, "sha256": hashlib.sha256(data).hexdigest(),
              "size_bytes": len(data)}
    write_bytes(Path(out_dir) / f"{tool}.json", json.dumps(record, indent=2).encode())
    return path
