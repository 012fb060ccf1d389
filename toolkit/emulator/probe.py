"""Run the op-support probe with an image's own Python and runtimes (aarch64/armv7l kernels, not x86's).

The probe (toolkit.targets.probe) starts its child as ``[*python_argv, probe_child.py, ...]`` with host
paths; under ``qemu -L`` a path that does not exist in the image is the host's file, so the child reads
its manifest and writes its results where the parent expects them. ``env -i`` keeps the host's Python
settings (PYTHONPATH, virtualenv) out of the guest.
"""

from __future__ import annotations

from typing import Any

from toolkit.emulator.images import ensure_image
from toolkit.emulator.qemu import guest_command, guest_env, require_tool
from toolkit.emulator.specs import GUEST_PYTHON


def guest_python_argv(image: str, cpu: str | None = None) -> list[str]:
    """A host argv prefix that starts the image's python3 (for code that spawns ``[*python_argv, script]``)."""
    info = ensure_image(image)
    env = [f"{key}={value}" for key, value in guest_env(str(info.root / "tmp")).items()]
    return [require_tool("env", "coreutils"), "-i", *env, *guest_command(info.spec, info.root, [GUEST_PYTHON], cpu)]


def probe_in_image(runtime: str, image: str = "arm64") -> dict[str, Any]:
    """The op-support table of ``runtime`` as installed in ``image`` (same format as `edgetk targets probe`)."""
    from toolkit.targets.probe import probe_runtime

    return probe_runtime(runtime, python_argv=guest_python_argv(image))


def _kernels(table: dict[str, Any]) -> set[str]:
    return {
        f"{op} v{version}"
        for op, entry in table.get("ops", {}).items()
        if entry.get("status") == "present"
        for version in entry.get("versions", [])
    }


def _dtypes(table: dict[str, Any]) -> set[str]:
    return {f"{op} {dtype}" for op, entry in table.get("dtypes", {}).items() for dtype in entry.get("accepted", [])}


def table_differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[str]]:
    """What two op tables disagree on: kernels ("CONV_2D v3") and accepted dtypes ("ADD int16") only in one."""
    return {
        "kernels_only_a": sorted(_kernels(a) - _kernels(b)),
        "kernels_only_b": sorted(_kernels(b) - _kernels(a)),
        "dtypes_only_a": sorted(_dtypes(a) - _dtypes(b)),
        "dtypes_only_b": sorted(_dtypes(b) - _dtypes(a)),
    }
