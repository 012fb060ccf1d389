"""An emulated Raspberry Pi: programs of a Debian 12 arm64/armhf image run under qemu-user on this machine.

No root and no binfmt: every command is ``qemu-<arch>-static -L IMAGE -cpu <the Pi's core> IMAGE/prog``.
Timings are not a Pi's (``emulated = True``); op support and numerics are the real aarch64/armv7l ones.

Paths handed to the guest are the host paths of this run's work dir inside the image
(``IMAGE/tmp/edgetk-run-PID-XXXX``). qemu-user resolves a guest path inside the image only when it already
exists there, so a file the guest *creates* at ``/tmp/...`` would land on the host's /tmp; the host path
of the work dir is the same file for guest and host, for reading and for writing. qemu-user is not a
sandbox: the guest can read and write the host's files like any local process.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field

from toolkit.emulator import ImageInfo, ensure_image, image_spec, read_image
from toolkit.emulator.qemu import guest_command, guest_env
from toolkit.emulator.specs import GUEST_PYTHON
from toolkit.errors import BadInputError, DeviceError, MissingDependencyError
from toolkit.transports.base import (
    ConnectOptions,
    RunResult,
    Transport,
    TransportEntry,
    check_remote_name,
    sha256_file,
)
from toolkit.transports.host_process import remove_orphans, run_child

RUN_PREFIX = "edgetk-run-"
DEFAULT_TIMEOUT = 1800.0


class EmulatorEntry(TransportEntry):
    transport: Literal["emulator"] = "emulator"
    image: str | None = Field(None, description="emulator image; default: the target descriptor's reach.image")


class EmulatorTransport(Transport):
    """Runs commands in an emulator image; files go to a per-run work dir, cached by sha256 in the image."""

    kind = "emulator"
    emulated = True

    def __init__(self, image: str, *, cpu: str | None = None, auto_build: bool = True) -> None:
        self.spec = image_spec(image)
        self.cpu = cpu  # None → the image's Pi core (e.g. cortex-a72); "cortex-a76" for a Pi 5
        self.auto_build = auto_build
        self.info: ImageInfo | None = None
        self.work_dir: Path | None = None
        self.copies = 0  # files actually copied into the image's content cache
        self.cache_hits = 0  # puts served from the content cache

    @classmethod
    def from_entry(cls, entry: TransportEntry, options: ConnectOptions) -> EmulatorTransport:
        """The image named by the entry, else the target's ``reach.image``; the target's core (a Pi 5's
        cortex-a76 on the arm64 image), as `bench --target` without a device uses."""
        assert isinstance(entry, EmulatorEntry)
        reach = options.reach
        image = entry.image or (reach.image if reach is not None else None)
        if not image:
            raise BadInputError(f"{options.label or 'device'}: the emulator needs an image; the target names no "
                                f"reach.image (set image =)")
        return cls(image=image, cpu=reach.cpu if reach is not None else None)

    @property
    def emulated_core(self) -> str | None:
        return self.cpu or self.spec.cpu

    # -- connection -------------------------------------------------------------------------------------
    def connect(self) -> None:
        if self.work_dir is not None:
            return
        info = ensure_image(self.spec.name) if self.auto_build else read_image(self.spec.name)
        if info is None:
            raise MissingDependencyError(
                f"emulator image {self.spec.name}", f"build it with `edgetk emulator build {self.spec.alias}`"
            )
        self.info = info
        tmp = info.root / "tmp"
        remove_orphans(tmp, RUN_PREFIX)
        remove_orphans(self._cache_dir(), ".partial-")
        self.work_dir = tmp / f"{RUN_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.work_dir.mkdir(mode=0o700)

    def close(self) -> None:
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    def _require(self) -> tuple[ImageInfo, Path]:
        if self.info is None or self.work_dir is None:
            raise DeviceError(f"emulator {self.spec.name}: not connected")
        return self.info, self.work_dir

    def _cache_dir(self) -> Path:
        info = self.info or read_image(self.spec.name)
        assert info is not None
        path = info.root / "var" / "cache" / "edgetk"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- files ------------------------------------------------------------------------------------------
    def remote_path(self, name: str) -> str:
        """Where the guest may read or create ``name`` in this run's work dir."""
        _info, work = self._require()
        return str(work / check_remote_name(name))

    def put(self, local: Path, name: str | None = None) -> str:
        _info, work = self._require()
        local = Path(local)
        if not local.is_file():
            raise BadInputError(f"{local}: no such file to copy to the emulator")
        target = work / check_remote_name(name or local.name)
        cached = self._cache_dir() / sha256_file(local)
        if cached.is_file() and sha256_file(cached) == cached.name:
            self.cache_hits += 1
        else:
            self._copy_verified(local, cached)
            self.copies += 1
        target.unlink(missing_ok=True)
        os.link(cached, target)  # same file system: no copy, and the guest sees the cached bytes
        return str(target)

    def _copy_verified(self, local: Path, cached: Path) -> None:
        partial = cached.with_name(f".partial-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            shutil.copyfile(local, partial)
            if sha256_file(partial) != cached.name:
                raise DeviceError(f"{local}: copy into emulator {self.spec.name} does not match its sha256")
            partial.chmod(0o444)
            os.replace(partial, cached)
        finally:
            partial.unlink(missing_ok=True)

    def get(self, remote: str, local: Path) -> None:
        info, work = self._require()
        source = Path(remote)
        if not source.is_absolute():
            source = work / source  # like ssh/adb: relative to this run's work dir (e.g. outputs.npz)
        elif not source.is_relative_to(info.root) and (info.root / remote.lstrip("/")).exists():
            source = info.root / remote.lstrip("/")  # a guest path such as /etc/os-release
        if not source.is_file():
            raise DeviceError(f"{remote}: no such file in emulator {self.spec.name}")
        local = Path(local)
        partial = local.with_name(f".{local.name}.partial-{os.getpid()}")
        shutil.copyfile(source, partial)
        os.replace(partial, local)

    # -- commands ---------------------------------------------------------------------------------------
    def python_argv(self) -> list[str]:
        return [GUEST_PYTHON]

    def run(
        self, argv: Sequence[str], *, timeout: float | None = None, env: Mapping[str, str] | None = None
    ) -> RunResult:
        """Run guest ``argv`` (argv[0] a guest program, e.g. /usr/bin/python3) with cwd = the work dir.

        A guest killed by a signal reports it (qemu re-raises the guest's signal); running past ``timeout``
        kills the process group and raises DeviceError.
        """
        info, work = self._require()
        command = guest_command(self.spec, info.root, list(argv), self.cpu)
        limit = timeout or DEFAULT_TIMEOUT
        return run_child(
            command, cwd=work, env=guest_env(str(work), env), timeout=limit,
            what=f"{argv[0]} on emulator {self.spec.name}", shown_argv=tuple(argv),
        )
