"""The runner as a child process on this machine: the 'local' transport (and the base of 'tflm').

Files are kept in a content-addressed store under the cache dir (so an unchanged model is copied once)
and hard-linked into a per-run working directory that ``close`` removes. Working directories of earlier
runs whose process is gone (killed, Ctrl-C) are removed by the next ``connect``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from toolkit.errors import DeviceError
from toolkit.paths import cache_dir
from toolkit.transports.base import (
    ConnectOptions,
    RunResult,
    Transport,
    TransportEntry,
    check_remote_name,
    sha256_file,
)
from toolkit.transports.host_process import remove_orphans, run_child

DEFAULT_TIMEOUT = 1800.0


class LocalEntry(TransportEntry):
    """This machine (no settings)."""

    transport: Literal["local"] = "local"


class LocalTransport(Transport):
    """Runs argv lists as child processes of this Python, inside a private working directory."""

    kind = "local"
    emulated = False

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir() / "local-transport"
        self.blobs = self.root / "blobs"
        self.runs = self.root / "runs"
        self.workdir: Path | None = None

    @classmethod
    def from_entry(cls, entry: TransportEntry, options: ConnectOptions) -> LocalTransport:
        return cls()

    # -- lifecycle
    def connect(self) -> None:
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.runs.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.runs, "run-")
        self.workdir = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=self.runs))

    def close(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def _require_workdir(self) -> Path:
        if self.workdir is None:
            raise DeviceError(f"{self.kind} transport used before connect()")
        return self.workdir

    # -- files
    def put(self, local: Path, name: str | None = None) -> str:
        workdir = self._require_workdir()
        local = Path(local)
        if not local.is_file():
            raise DeviceError(f"cannot send {local}: not a file")
        digest = sha256_file(local)
        blob = self.blobs / digest
        if not blob.exists() or sha256_file(blob) != digest:
            tmp = self.blobs / f".{digest}.{os.getpid()}.tmp"
            shutil.copyfile(local, tmp)
            if sha256_file(tmp) != digest:
                tmp.unlink(missing_ok=True)
                raise DeviceError(f"copy of {local} does not match its sha256 (file changed while copying?)")
            os.replace(tmp, blob)
        target = workdir / check_remote_name(name or local.name)
        target.unlink(missing_ok=True)
        try:
            os.link(blob, target)
        except OSError:
            shutil.copyfile(blob, target)
        return str(target)

    def get(self, remote: str, local: Path) -> None:
        source = Path(remote)
        if not source.is_absolute():
            source = self._require_workdir() / source
        if not source.is_file():
            raise DeviceError(f"{self.kind}: no file {remote} to fetch")
        shutil.copyfile(source, local)

    # -- processes
    def python_argv(self) -> list[str]:
        return [sys.executable]

    def run(self, argv: Sequence[str], *, timeout: float | None = None) -> RunResult:
        argv = [str(a) for a in argv]
        return run_child(
            argv, cwd=self._require_workdir(), env=self._env(), timeout=timeout or DEFAULT_TIMEOUT,
            what=f"{self.kind}: '{Path(argv[0]).name}'",
        )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with contextlib.suppress(KeyError):
            del env["PYTHONPATH"]  # the runner is self-contained; never let it pick up the toolkit
        return env
