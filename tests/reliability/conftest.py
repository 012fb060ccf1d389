"""Reliability-suite fixtures: the fuzz seeds (TF-converted once in a child process, cached in the shared cache)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is a top-level package of the checkout, not installed
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def shared_cache() -> Path:
    from conftest import SHARED_CACHE

    return Path(SHARED_CACHE)


@pytest.fixture(scope="session")
def seeds(shared_cache: Path) -> dict[str, bytes]:
    from benchmarks.fuzz_seeds import all_seeds

    return all_seeds(shared_cache)



class SmallDisk:
    """A 64 KiB tmpfs (we are root) for disk-full and read-only cases."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self) -> None:
        """Write until ENOSPC (4 KiB blocks, then single bytes): nothing more fits."""
        for name, chunk in (("filler", b"\0" * 4096), ("filler2", b"\0")):
            try:
                with open(self.path / name, "wb", buffering=0) as fh:
                    while True:
                        fh.write(chunk)
            except OSError:
                pass

    def remount(self, *, ro: bool) -> None:
        import subprocess

        subprocess.run(["mount", "-o", f"remount,{'ro' if ro else 'rw'}", str(self.path)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path):
    import shutil
    import subprocess

    mount = tmp_path / "tinyfs"
    mount.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0777", "tmpfs", str(mount)],
                         capture_output=True, text=True)  # fmt: skip
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    yield SmallDisk(mount)
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)  # fmt: skip
    shutil.rmtree(mount, ignore_errors=True)
