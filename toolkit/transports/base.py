"""The one interface every way of reaching a device implements.

A transport copies files to a device (atomically, verified by sha256, cached by content so an unchanged
model is not sent again), runs argv lists there (never shell strings assembled from user input), fetches
files back, and cleans up its per-run working directory. Bench, deploy and on-device check only talk to
this interface, so every transport measures the same way: by running the one device-side runner
(``toolkit/runtimes/runner.py``) and parsing the JSON document it prints.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from toolkit.documents import Record
from toolkit.errors import BadInputError


@dataclass(frozen=True)
class RunResult:
    """What a command run on the device gave back."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    signal: str | None = None  # e.g. "SIGSEGV" when the process was killed by a signal

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.signal is None


@dataclass(frozen=True)
class PutRecord:
    """One ``put``: where the file landed and whether the device already had it."""

    name: str
    remote_path: str
    blob_path: str
    sha256: str
    cached: bool
    bytes_sent: int


class TransportEntry(Record):
    """The settings of one way to reach a device, as a devices.toml entry stores them. Each transport module
    declares its own subclass (``SshEntry``, ``AdbEntry``, ...); the inventory's entry types are built from them."""

    transport: str  # each subclass narrows it to its kind (a Literal): the inventory's discriminator


@dataclass(frozen=True)
class ConnectOptions:
    """Per-invocation choices that are not part of an entry (SSH uses them; other transports ignore them)."""

    trust_new_host_key: bool = False
    progress: bool | None = None  # None: upload bars when stderr is a terminal
    ask_password: bool = False
    label: str = ""  # the device's inventory name, for messages
    reach: Any = None  # the target descriptor's `reach` (emulator defaults: image, qemu core)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def check_remote_name(name: str) -> str:
    """``put``'s name must stay inside the run directory: a plain file name, no path."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise BadInputError(f"remote file name must be a plain file name, got {name!r}")
    return name


class Transport(ABC):
    """connect → put/run/get → close. Use as a context manager so cleanup also runs on failure and Ctrl-C."""

    #: short name used in device inventories and results ("local", "emulator", "tflm", "ssh", "adb")
    kind: str = ""
    #: True when timings are not a real device's (qemu-user): reports label them "emulated"
    emulated: bool = False
    #: the runtime this transport always runs (TFLM's host interpreter) whatever the target names; None: the target's
    runtime: str | None = None
    #: a native benchmark tool the device runs instead of the Python runner (adb: LiteRT's benchmark_model)
    benchmark_binary: str | None = None
    #: LiteRT's inference_diff (run_eval): delegate-vs-CPU numerics on the device (adb, with --accelerator gpu)
    inference_diff_binary: str | None = None
    #: True when ``put`` files stay on the device after ``close`` (a content-addressed cache): `deploy` needs it
    keeps_files: bool = False

    @abstractmethod
    def connect(self) -> None:
        """Open the connection and create this run's working directory; clean leftovers of earlier runs."""

    @abstractmethod
    def put(self, local: Path, name: str | None = None) -> str:
        """Copy ``local`` to the device and return its path there.

        Atomic (temporary name, then rename), verified by sha256, cached by content: a file whose hash is
        already on the device is not sent again.
        """

    @property
    def where(self) -> str:
        """The device as messages name it (adb: its serial and inventory name)."""
        return f"the {self.kind} device"

    @property
    def emulated_core(self) -> str | None:
        """The CPU core an emulator presents (qemu ``-cpu``), None on real hardware."""
        return None

    def put_record(self, local: Path, name: str | None = None) -> PutRecord:
        """``put`` that says where the file landed and whether the device already had it (``keeps_files``)."""
        raise BadInputError(f"the {self.kind} transport keeps no files on the device: nothing to deploy")

    @abstractmethod
    def run(self, argv: Sequence[str], *, timeout: float | None = None) -> RunResult:
        """Run ``argv`` on the device. Arguments are passed as a list; any quoting is the transport's job."""

    @abstractmethod
    def get(self, remote: str, local: Path) -> None:
        """Fetch a file from the device."""

    @abstractmethod
    def close(self) -> None:
        """Remove this run's working directory and close the connection. Safe to call twice."""

    @abstractmethod
    def python_argv(self) -> list[str]:
        """The argv prefix that starts the device's Python interpreter (e.g. ["python3"])."""

    @classmethod
    def from_entry(cls, entry: TransportEntry, options: ConnectOptions) -> Transport:
        """The transport an entry of this kind describes (``toolkit.transports.registry`` dispatches here)."""
        raise NotImplementedError(f"{cls.__name__} has no entry type")

    def __enter__(self) -> Transport:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
