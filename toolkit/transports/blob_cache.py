"""The content-addressed upload that the SSH and adb transports share.

Why one place: both keep a cache on the device (``<remote_dir>/blobs/<sha256>``) so an unchanged model is not
sent twice over a slow link, and both must never leave a half file that looks valid. The order is the
guarantee: hash locally → ask the device for the blob's hash (cached?) → upload under a temporary name
stamped with the run id (``remote_sh`` removes it after a dead session) → hash it on the device → rename it
to the blob → link the blob into the run directory under the requested name. The transports only supply the
primitives: how to hash a device file, upload, rename, link and remove.
"""

from __future__ import annotations

import secrets
from abc import abstractmethod
from pathlib import Path, PurePosixPath

from toolkit.errors import DeviceError
from toolkit.transports.base import PutRecord, check_remote_name, sha256_file
from toolkit.transports.remote_sh import run_id


def printable(text: str) -> str:
    """``text`` for a one-line message: as is, or its repr when it holds a newline or another control character."""
    return text if text.isprintable() else repr(text)


__all__ = ["BlobCachePuts", "PutRecord", "check_remote_name", "printable"]


class BlobCachePuts:
    """``put`` / ``put_record`` for a transport with a device-side blob cache under ``base``.

    Subclasses set ``base`` (the remote dir), ``run_dir`` and ``puts`` and implement the primitives below."""

    keeps_files = True  # the blobs outlive the run: `deploy` leaves the model on the device
    base: str
    run_dir: str
    puts: list[PutRecord]

    @property
    @abstractmethod
    def where(self) -> str:
        """The device, for messages."""

    @abstractmethod
    def remote_sha256(self, path: str) -> str | None:
        """sha256 of a device file; None when it does not exist."""

    @abstractmethod
    def _upload_blob(self, local: Path, remote: str, name: str) -> int:
        """Copy ``local`` to the device path ``remote``; the bytes sent. ``name`` is for progress display."""

    @abstractmethod
    def _rename_blob(self, tmp: str, blob: str) -> None:
        """Atomically replace ``blob`` by ``tmp`` on the device."""

    @abstractmethod
    def _link_blob(self, blob: str, dest: str) -> None:
        """Make ``dest`` (in the run directory) a symlink to ``blob``, replacing what was there."""

    @abstractmethod
    def _discard_partial(self, tmp: str) -> None:
        """Best effort: remove a partial upload (the next connect removes it otherwise)."""

    def put(self, local: Path, name: str | None = None) -> str:
        return self.put_record(local, name).remote_path

    def put_record(self, local: Path, name: str | None = None) -> PutRecord:
        """``put`` returning the details: blob path, whether it was already cached, bytes sent."""
        local = Path(local)
        name = check_remote_name(name or local.name)
        digest = sha256_file(local)
        blob = str(PurePosixPath(self.base) / "blobs" / digest)
        cached = self.remote_sha256(blob) == digest
        sent = 0
        if not cached:
            tmp = f"{blob}.tmp-{run_id(self.run_dir)}-{secrets.token_hex(4)}"  # swept after a dead run
            try:
                sent = self._upload_blob(local, tmp, name)
                got = self.remote_sha256(tmp)
                if got != digest:
                    raise DeviceError(f"upload of {printable(local.name)} to {self.where} corrupted "
                                      f"(sha256 {got} != {digest})")
                self._rename_blob(tmp, blob)
            except BaseException:
                self._discard_partial(tmp)
                raise
        dest = str(PurePosixPath(self.run_dir) / name)
        self._link_blob(blob, dest)
        rec = PutRecord(name, dest, blob, digest, cached, sent)
        self.puts.append(rec)
        return rec
