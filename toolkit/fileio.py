"""Every file edgetk writes for the user, written so that nothing already there is lost.

One home for three things:

- **Atomic replacement** (``write_text`` / ``write_bytes``): the new content goes to a temporary file in the
  same directory, is fsynced, then renamed over the target. A full disk, a read-only file system or a kill
  half-way leaves the old file as it was (never a 4096-byte stump of a report) and no temporary behind.
- **Shared files under a lock** (``locked`` / ``update_text``): devices.toml and known_hosts may be edited
  by several edgetk processes at once (a CI matrix, a fleet script). The read-modify-write happens inside
  an exclusive ``flock`` on a side file ``.<name>.lock`` next to the target, so no writer's entry is lost.
- **Validate before writing**: ``update_text`` takes a ``validate`` callback that sees the new text before it
  replaces the old; a rejected edit never reaches the disk.

Failures are ``OutputWriteError`` (exit 2): one line naming the path, what went wrong, and the fix.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from toolkit.errors import BadInputError

_FIXES = {
    errno.ENOSPC: "free space on that file system or choose another path",
    errno.EDQUOT: "free space on that file system or choose another path",
    errno.EROFS: "the file system is read-only: choose a writable path",
    errno.EACCES: "no permission: choose a path you can write",
    errno.EPERM: "no permission: choose a path you can write",
    errno.EISDIR: "that is a directory: name a file inside it",
    errno.ENOTDIR: "a parent of that path is a file, not a directory: choose another path",
    errno.ENAMETOOLONG: "the name is too long: choose a shorter path",
}


class OutputWriteError(BadInputError):
    """A file edgetk was asked to write could not be written; the old content (if any) is untouched."""

    def __init__(self, path: Path, detail: str, fix: str) -> None:
        super().__init__(f"cannot write {path}: {detail} ({fix})", hint=fix)
        self.path = path
        self.detail = detail


def write_error(path: Path, exc: OSError) -> OutputWriteError:
    """The one-line error for an OSError met while writing ``path``."""
    fix = _FIXES.get(exc.errno or 0, "check the path and the file system")
    return OutputWriteError(path, exc.strerror or str(exc), fix)


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise write_error(path, IsADirectoryError(errno.EISDIR, "is a directory"))


def write_bytes(path: Path | str, data: bytes, *, mode: int | None = None) -> Path:
    """Replace ``path`` with ``data`` atomically (temp file in the same directory, fsync, rename).

    The file keeps the permissions of the file it replaces (``mode`` for a new file; default 0o666 minus
    the umask). Parent directories are created.
    """
    return _replace(Path(path), lambda fh: fh.write(data), mode)


def copy_file(src: Path | str, path: Path | str, *, mode: int | None = None) -> Path:
    """Put a copy of ``src`` (e.g. a converter's output in a temp dir on another file system) at ``path``
    atomically: the old ``path`` stays whole until the complete copy is renamed over it."""
    import shutil

    def copy(fh: BinaryIO) -> None:
        with open(src, "rb") as source:
            shutil.copyfileobj(source, fh, 1 << 20)

    return _replace(Path(path), copy, mode)


def _replace(path: Path, fill: Callable[[BinaryIO], object], mode: int | None) -> Path:
    _check_target(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path, mode))
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def write_text(path: Path | str, text: str, *, mode: int | None = None) -> Path:
    """``write_bytes`` of UTF-8 text. Lone surrogates (undecodable bytes from file names) are refused here,
    before anything is written, rather than producing a file no reader accepts."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OutputWriteError(Path(path), f"the text is not valid UTF-8 ({exc.reason} at {exc.start})",
                               "remove the undecodable characters") from None
    return write_bytes(path, data, mode=mode)


def _mode_for(path: Path, mode: int | None) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        pass
    if mode is not None:
        return mode
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


@contextmanager
def locked(path: Path | str) -> Iterator[Path]:
    """Hold an exclusive lock for ``path`` (a side file ``.<name>.lock``; the target itself is replaced by
    rename, so it cannot carry the lock). Blocks until other edgetk writers are done."""
    path = Path(path)
    side = lock_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(side, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)  # closing releases the flock


def update_text(
    path: Path | str,
    change: Callable[[str], str],
    *,
    validate: Callable[[str], object] | None = None,
    mode: int | None = None,
) -> str:
    """Read-modify-write ``path`` under its lock: ``change(old_text) -> new_text`` ("" for a missing file),
    ``validate(new_text)`` may raise to refuse the edit before anything is written. Returns the new text."""
    path = Path(path)
    with locked(path):
        try:
            old = path.read_text(encoding="utf-8") if path.is_file() else ""
        except UnicodeDecodeError as exc:
            raise BadInputError(f"{path}: not valid UTF-8 ({exc.reason}); fix or remove the file") from None
        except OSError as exc:
            raise write_error(path, exc) from None
        new = change(old)
        if validate is not None:
            validate(new)
        write_text(path, new, mode=mode)
        return new


def append_line(path: Path | str, line: str, *, mode: int = 0o600) -> None:
    """Append one line under the lock, adding the newline the file lacks (so the last entry survives)."""

    def add(old: str) -> str:
        return old + ("\n" if old and not old.endswith("\n") else "") + line.rstrip("\n") + "\n"

    update_text(path, add, mode=mode)
