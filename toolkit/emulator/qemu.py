"""How a guest program of an image is started under qemu-user, without root and without binfmt.

``qemu-aarch64-static -L IMAGE`` makes the guest's absolute paths resolve inside IMAGE when the file exists
there and on the host otherwise (qemu looks each path up once). Two consequences shape everything here:
files the guest *creates* must live at paths that also exist on the host (we give it host paths of a work
dir inside the image), and the guest must never write bytecode (a missing ``__pycache__`` entry would be
written to the host's /usr/lib/python3.11), so images are precompiled and PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit.emulator.specs import ImageSpec
from toolkit.errors import DeviceError, MissingDependencyError

GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def require_tool(tool: str, apt_package: str) -> str:
    """Absolute path of a host tool, or a MissingDependencyError naming the apt package that provides it."""
    found = shutil.which(tool)
    if not found:
        raise MissingDependencyError(tool, f"install it with `apt-get install {apt_package}`")
    return found


def qemu_binary(spec: ImageSpec) -> str:
    return require_tool(spec.qemu, "qemu-user-static")


def guest_program(root: Path, program: str) -> Path:
    """Host path of a guest executable: an absolute guest path, or a bare name looked up on the guest PATH."""
    candidates = [program] if "/" in program else [f"{d}/{program}" for d in GUEST_PATH.split(":")]
    for candidate in candidates:
        host = root / candidate.lstrip("/")
        if host.exists():
            return host
    raise DeviceError(f"{program}: no such program in emulator image {root.name}")


def guest_env(home: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal guest environment: nothing of the host's leaks in, bytecode is never written."""
    env = {
        "PATH": GUEST_PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    env.update(extra or {})
    return env


def guest_command(spec: ImageSpec, root: Path, argv: Sequence[str], cpu: str | None = None) -> list[str]:
    """The host argv that runs guest ``argv`` (argv[0] a guest program) in image ``root``."""
    if not argv:
        raise DeviceError("empty command for the emulator")
    program = guest_program(root, argv[0])
    # no "-0 /usr/bin/python3": armhf guests stat() guest paths on the host (qemu 7.2 does not remap statx),
    # so sys.path must be the host paths of the image, which Python derives from the program path
    return [qemu_binary(spec), "-L", str(root), "-cpu", cpu or spec.cpu, str(program), *argv[1:]]
