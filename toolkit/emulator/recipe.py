"""The build steps of an emulated Raspberry Pi image, applied to a fresh directory.

Extract-only mmdebstrap (no maintainer scripts, so nothing runs under emulation while unpacking), then the
few things those scripts would have done and a Pi's identity, then pinned runtime wheels, then bytecode
compiled once by the guest's own Python. Each step logs to the build log; a failing step raises
``EmulatorImageError`` naming the step. Facts behind each step: docs/EMULATOR.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from toolkit.child_output import last_json_object
from toolkit.emulator.qemu import guest_command, guest_env, require_tool
from toolkit.emulator.specs import DEBIAN_PACKAGES, DEBIAN_SUITE, GUEST_PYTHON, GUEST_SITE, ImageSpec
from toolkit.errors import EmulatorImageError, MissingDependencyError

MIRROR_ENV = "EDGETK_DEBIAN_MIRROR"
APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))


def _deb822_mirrors(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" in fields.get("types", "").split():
            suites = fields.get("suites", "").split()
            found += [(uri, suites) for uri in fields.get("uris", "").split()]
    return found


def _one_line_mirrors(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # [arch=amd64 signed-by=...] options
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            found.append((words[0], [words[1]]))
    return found


def debian_mirror(sources: tuple[Path, ...] = APT_SOURCES) -> str:
    """The Debian mirror this machine's apt uses for bookworm (EDGETK_DEBIAN_MIRROR overrides it)."""
    if os.environ.get(MIRROR_ENV):
        return os.environ[MIRROR_ENV]
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        entries = _deb822_mirrors(text) if path.suffix == ".sources" else _one_line_mirrors(text)
        for uri, suites in entries:
            if DEBIAN_SUITE in suites:
                return uri
    raise MissingDependencyError(
        f"a Debian {DEBIAN_SUITE} mirror in the apt sources", f"set {MIRROR_ENV}=http://deb.debian.org/debian"
    )


class BuildLog:
    """Runs the steps of one build, appending their output to one log file."""

    def __init__(self, image: str, path: Path) -> None:
        self.image = image
        self.path = path

    def run(self, step: str, argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800) -> str:
        with open(self.path, "a") as log:
            log.write(f"\n## {step}: {argv}\n")
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, errors="replace", env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EmulatorImageError(self.image, step, f"timed out after {timeout:g} s (log: {self.path})") from None
        with open(self.path, "a") as log:
            log.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
            errors = [ln for ln in lines if ln.startswith(("E: ", "ERROR: "))]  # apt's / pip's first error
            detail = (errors or lines or [f"exit status {proc.returncode}"])[0 if errors else -1]
            raise EmulatorImageError(self.image, step, f"{detail} (log: {self.path})")
        return proc.stdout


def bootstrap(spec: ImageSpec, root: Path, log: BuildLog) -> str:
    """Unpack Debian packages into ``root`` without running any of their scripts; returns the mirror used."""
    mmdebstrap = require_tool("mmdebstrap", "mmdebstrap")
    mirror = debian_mirror()
    argv = [mmdebstrap, f"--arch={spec.debian_arch}", "--variant=extract", f"--include={','.join(DEBIAN_PACKAGES)}"]
    log.run("mmdebstrap", [*argv, DEBIAN_SUITE, str(root), mirror])
    return mirror


def fix_alternatives(spec: ImageSpec, root: Path) -> None:
    """What update-alternatives would have done for BLAS/LAPACK, as relative links (absolute ones hit the host)."""
    libdir = root / "usr" / "lib" / spec.multiarch
    for lib in ("blas/libblas.so.3", "lapack/liblapack.so.3"):
        link = libdir / Path(lib).name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(lib)


def write_pi_identity(spec: ImageSpec, root: Path) -> None:
    """The /proc and /sys files a Pi has; LiteRT aarch64 segfaults when it reads the x86 host's instead."""
    proc = root / "proc"
    (proc / "device-tree").mkdir(parents=True, exist_ok=True)
    (proc / "device-tree" / "model").write_bytes(spec.pi_model.encode() + b"\0")
    (proc / "cpuinfo").write_text(spec.cpuinfo)
    cpu = root / "sys" / "devices" / "system" / "cpu"
    cpu.mkdir(parents=True, exist_ok=True)
    for name in ("possible", "present", "online"):
        (cpu / name).write_text(f"0-{spec.cores - 1}\n")


def install_wheels(spec: ImageSpec, root: Path, wheel_cache: Path, log: BuildLog) -> None:
    """Download the pinned wheels for the guest's platform (cached) and unpack them into its site dir."""
    pip = [sys.executable, "-m", "pip"]
    common = ["--only-binary=:all:", "--python-version", "3.11", "--no-deps", "--disable-pip-version-check"]
    for wheel in spec.wheels:
        platforms = [arg for tag in wheel.platforms for arg in ("--platform", tag)]
        req = f"{wheel.project}=={wheel.version}"
        dest = wheel_cache / f"{wheel.project}-{wheel.version}-{spec.debian_arch}"
        dest.mkdir(parents=True, exist_ok=True)
        if not any(dest.glob("*.whl")):
            log.run(f"pip download {req}", [*pip, "download", *common, *platforms, "-d", str(dest), req])
        files = sorted(str(p) for p in dest.glob("*.whl"))
        target = root / GUEST_SITE
        log.run(
            f"pip install {req}",
            [*pip, "install", *common, *platforms, "--no-compile", "--target", str(target), *files],
        )


def precompile(spec: ImageSpec, root: Path, log: BuildLog) -> None:
    """Compile all bytecode once with the guest's Python (an uncompiled numpy import costs seconds)."""
    dirs = [root / "usr/lib/python3.11", root / "usr/lib/python3/dist-packages", root / GUEST_SITE]
    # host paths in, guest paths recorded: -s strips the image root, -p puts "/" back
    args = ["-m", "compileall", "-q", "-j", "2", "-s", str(root), "-p", "/", *map(str, dirs)]
    # compileall writes .pyc files whatever PYTHONDONTWRITEBYTECODE says; only imports honour it
    log.run("compileall", guest_command(spec, root, [GUEST_PYTHON, *args]), env=guest_env(str(root / "tmp")))


_VERSIONS = """
import importlib, json, platform, sys
import numpy
out = {"python": platform.python_version(), "machine": platform.machine(), "numpy": numpy.__version__}
for module in sys.argv[1:]:
    importlib.import_module(module)
    top = sys.modules[module.split(".")[0]]
    out[module] = getattr(top, "__version__", "?")
print(json.dumps(out))
"""


def guest_versions(spec: ImageSpec, root: Path, log: BuildLog) -> dict[str, str]:
    """Import every runtime in the guest: an image whose runtimes do not load is not a valid image."""
    modules = [w.module for w in spec.wheels]
    argv = guest_command(spec, root, [GUEST_PYTHON, "-c", _VERSIONS, *modules])
    found = last_json_object(log.run("import check", argv, env=guest_env(str(root / "tmp"))))
    if found is None:
        raise EmulatorImageError(spec.name, "import check", "the guest printed no version report")
    if found.get("machine") != spec.machine:
        raise EmulatorImageError(spec.name, "import check", f"guest reports {found.get('machine')}")
    versions = {"python": found["python"], "numpy": found["numpy"]}
    versions.update({w.project: found[w.module] for w in spec.wheels})
    return versions
