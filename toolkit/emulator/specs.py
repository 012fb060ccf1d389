"""What each emulated Raspberry Pi image is made of: Debian arch, qemu binary and CPU, wheels, Pi identity.

The images are data, not code paths: one frozen ``ImageSpec`` per image, so the build recipe, the transport
and the docs read the same facts. Bump ``RECIPE_VERSION`` whenever what goes into an image changes; images
and archives built by an older recipe are then rebuilt instead of reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import UnknownNameError

RECIPE_VERSION = 1
DEBIAN_SUITE = "bookworm"  # Raspberry Pi OS bookworm is Debian 12, Python 3.11
GUEST_PYTHON = "/usr/bin/python3"
GUEST_SITE = "usr/local/lib/python3.11/dist-packages"
DEBIAN_PACKAGES = ("python3", "python3-numpy", "libstdc++6")  # runtimes need libstdc++.so.6


@dataclass(frozen=True)
class Wheel:
    """A pinned PyPI wheel installed into the image; ``platforms`` are the exact tags pip may accept."""

    project: str
    version: str
    module: str  # what the guest imports to prove the wheel works
    platforms: tuple[str, ...]


@dataclass(frozen=True)
class ImageSpec:
    name: str
    alias: str  # the short name the CLI accepts: arm64 / armhf
    debian_arch: str
    multiarch: str  # /usr/lib/<multiarch> in the image
    machine: str  # platform.machine() the guest reports
    qemu: str  # qemu-user binary (apt: qemu-user-static)
    cpu: str  # qemu -cpu model: the Pi's core, not qemu's "max" (LiteRT int8 is wrong under "max")
    pi_model: str
    cpuinfo: str
    cores: int
    wheels: tuple[Wheel, ...]


def _manylinux(arch: str, lowest: int, highest: int = 36) -> tuple[str, ...]:
    """pip --platform takes exact tags only; list every glibc a Debian 12 (glibc 2.36) guest can load."""
    return tuple(f"manylinux_2_{minor}_{arch}" for minor in range(highest, lowest - 1, -1))


_A72_CORE = """processor\t: {n}
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3
"""

_A53_AARCH32_CORE = """processor\t: {n}
model name\t: ARMv7 Processor rev 4 (v7l)
BogoMIPS\t: 38.40
Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm crc32
CPU implementer\t: 0x41
CPU architecture: 7
CPU variant\t: 0x0
CPU part\t: 0xd03
CPU revision\t: 4
"""


def _cpuinfo(core: str, cores: int, revision: str, model: str) -> str:
    body = "\n".join(core.format(n=n) for n in range(cores))
    return f"{body}\nHardware\t: BCM2835\nRevision\t: {revision}\nSerial\t\t: 10000000e3b0c442\nModel\t\t: {model}\n"


_PI4 = "Raspberry Pi 4 Model B"
_ZERO2 = "Raspberry Pi Zero 2 W Rev 1.0"

IMAGE_SPECS: dict[str, ImageSpec] = {
    spec.name: spec
    for spec in (
        ImageSpec(
            name="debian12-arm64",
            alias="arm64",
            debian_arch="arm64",
            multiarch="aarch64-linux-gnu",
            machine="aarch64",
            qemu="qemu-aarch64-static",
            cpu="cortex-a72",
            pi_model=_PI4,
            cpuinfo=_cpuinfo(_A72_CORE, 4, "c03114", _PI4),
            cores=4,
            wheels=(
                Wheel("tflite-runtime", "2.14.0", "tflite_runtime.interpreter", _manylinux("aarch64", 34)),
                # no armv7l wheel of ai-edge-litert exists; its declared deps are not needed to import the interpreter
                Wheel("ai-edge-litert", "2.3.0", "ai_edge_litert.interpreter", _manylinux("aarch64", 17)),
            ),
        ),
        ImageSpec(
            name="debian12-armhf",
            alias="armhf",
            debian_arch="armhf",
            multiarch="arm-linux-gnueabihf",
            machine="armv7l",
            qemu="qemu-arm-static",
            cpu="cortex-a7",  # Debian armhf is ARMv7; qemu-arm has no AArch32 Cortex-A53
            pi_model=_ZERO2,
            cpuinfo=_cpuinfo(_A53_AARCH32_CORE, 4, "902120", _ZERO2),
            cores=4,
            wheels=(Wheel("tflite-runtime", "2.14.0", "tflite_runtime.interpreter", _manylinux("armv7l", 34)),),
        ),
    )
}


def image_spec(name: str) -> ImageSpec:
    """Resolve an image name or its alias ("arm64", "armhf")."""
    for spec in IMAGE_SPECS.values():
        if name in (spec.name, spec.alias):
            return spec
    raise UnknownNameError("emulator image", name, [*IMAGE_SPECS, *(s.alias for s in IMAGE_SPECS.values())])


def resolve_names(which: str) -> list[str]:
    """'all' → every image; otherwise one name or alias."""
    if which == "all":
        return list(IMAGE_SPECS)
    return [image_spec(which).name]
