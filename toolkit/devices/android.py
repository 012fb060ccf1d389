"""`edgetk android setup`: fetch LiteRT's official prebuilt benchmark_model for a phone's ABI.

The binaries are the TensorFlow Lite tools' nightly builds that the LiteRT benchmark documentation links
(tflite/tools/benchmark/README.md, "android_aarch64" / "android_arm"). They are not versioned releases: the
URL is ``nightly/latest``, so the file's sha256 is recorded next to it (``benchmark_model.json``) to say
which build a result came from. On a machine without internet the download fails in one line (exit 3) with
the URL, so it can be fetched elsewhere and named in devices.toml (``benchmark_binary = PATH``).
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
#: Android ABI -> file name under BASE_URL
BINARIES = {"arm64-v8a": "android_aarch64_benchmark_model", "armeabi-v7a": "android_arm_benchmark_model"}


def benchmark_model_url(abi: str, base_url: str = BASE_URL) -> str:
    if abi not in BINARIES:
        raise BadInputError(f"unknown Android ABI '{abi}' (known: {', '.join(BINARIES)})")
    return f"{base_url.rstrip('/')}/{BINARIES[abi]}"


def download_benchmark_model(abi: str, out_dir: Path, *, base_url: str = BASE_URL, timeout: float = 30.0) -> Path:
    """Download benchmark_model for ``abi`` into ``out_dir`` (atomic, executable) and record its URL, version
    and sha256 beside it. No network: MissingDependencyError naming the URL."""
    url = benchmark_model_url(abi, base_url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a fixed https URL or --base-url
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MissingDependencyError(
            f"LiteRT's benchmark_model for {abi}",
            f"download of {url} ({VERSION}) failed: {reason}; fetch it on a machine with internet and set "
            "benchmark_binary = PATH in devices.toml") from None
    path = write_bytes(Path(out_dir) / "benchmark_model", data, mode=0o755)
    record = {"url": url, "version": VERSION, "abi": abi, "sha256": hashlib.sha256(data).hexdigest(),
              "size_bytes": len(data)}
    write_bytes(Path(out_dir) / "benchmark_model.json", json.dumps(record, indent=2).encode())
    return path
