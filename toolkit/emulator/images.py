"""The cache of emulator images: build, restore, list and remove them safely.

Layout under ``cache_dir()/emulator``::

    NAME/rootfs/          the guest's root directory (qemu -L points here)
    NAME/manifest.json    written LAST: a directory without it (or from another recipe) counts as absent
    logs/NAME-build.log   output of the last build's steps (kept when a build fails)
    NAME.tar.zst          rootfs + manifest, so a rebuild after `rm` or a wiped dir takes a second
    .locks/NAME.lock      one builder per image at a time, across processes

Builds happen in a hidden temporary directory next to the final one and are renamed into place, so an
interrupted or failing build never leaves something that looks like a valid image.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from toolkit.emulator import recipe
from toolkit.emulator.specs import IMAGE_SPECS, RECIPE_VERSION, ImageSpec, image_spec
from toolkit.errors import EmulatorImageError
from toolkit.paths import cache_dir

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ImageInfo:
    """A valid image as its manifest describes it. ``origin``/``seconds`` describe the call that returned it."""

    name: str
    path: Path  # NAME/ (holds rootfs/, manifest.json)
    machine: str  # what platform.machine() says in the guest
    qemu: str
    cpu: str
    pi_model: str
    versions: dict[str, str]
    mirror: str
    built_at: str
    build_seconds: float
    size_bytes: int
    recipe: int
    origin: str = "cached"  # "built" | "archive" | "cached"
    seconds: float = 0.0

    @property
    def root(self) -> Path:
        return self.path / "rootfs"

    @property
    def spec(self) -> ImageSpec:
        return IMAGE_SPECS[self.name]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def emulator_dir() -> Path:
    path = cache_dir() / "emulator"
    path.mkdir(parents=True, exist_ok=True)
    return path


def archive_path(name: str) -> Path:
    return emulator_dir() / f"{image_spec(name).name}.tar.zst"


def _read_manifest(path: Path, name: str) -> ImageInfo | None:
    try:
        data = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if data.get("name") != name or data.get("recipe") != RECIPE_VERSION or not (path / "rootfs").is_dir():
        return None
    fields = {k: data[k] for k in ImageInfo.__dataclass_fields__ if k in data and k not in ("path", "origin")}
    try:
        return ImageInfo(path=path, **fields)
    except TypeError:
        return None


def read_image(name: str) -> ImageInfo | None:
    """The image if it is built and valid for this recipe, else None."""
    spec = image_spec(name)
    return _read_manifest(emulator_dir() / spec.name, spec.name)


def list_images() -> list[ImageInfo]:
    return [info for name in IMAGE_SPECS if (info := read_image(name)) is not None]


@contextmanager
def _image_lock(name: str) -> Iterator[None]:
    locks = emulator_dir() / ".locks"
    locks.mkdir(exist_ok=True)
    with open(locks / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_leftovers(name: str) -> None:
    """Temporary dirs of builds that died; only called with the image's lock held."""
    for pattern in (f".build-{name}-*", f".old-{name}-*", f".{name}.tar.zst.*"):
        for path in emulator_dir().glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _move_into_place(staged: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
        os.rename(final, old / final.name)
    os.rename(staged, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


def _build_fresh(spec: ImageSpec, staged: Path) -> ImageInfo:
    started = time.monotonic()
    root = staged / "rootfs"
    logs = emulator_dir() / "logs"
    logs.mkdir(exist_ok=True)
    log = recipe.BuildLog(spec.name, logs / f"{spec.name}-build.log")
    log.path.write_text(f"# edgetk emulator build of {spec.name}, recipe {RECIPE_VERSION}\n")
    mirror = recipe.bootstrap(spec, root, log)
    recipe.fix_alternatives(spec, root)
    recipe.write_pi_identity(spec, root)
    recipe.install_wheels(spec, root, emulator_dir() / "wheels", log)
    recipe.precompile(spec, root, log)
    versions = recipe.guest_versions(spec, root, log)
    info = ImageInfo(
        name=spec.name,
        path=staged,
        machine=spec.machine,
        qemu=spec.qemu,
        cpu=spec.cpu,
        pi_model=spec.pi_model,
        versions=versions,
        mirror=mirror,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.monotonic() - started, 2),
        size_bytes=_tree_size(root),
        recipe=RECIPE_VERSION,
        origin="built",
    )
    manifest = {k: v for k, v in info.to_dict().items() if k not in ("path", "origin", "seconds")}
    (staged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")  # last: this makes the image valid
    return info


def _write_archive(name: str) -> None:
    """Best effort: an image without an archive is still a valid image."""
    if not shutil.which("zstd"):
        return
    final = archive_path(name)
    partial = final.with_name(f".{final.name}.{os.getpid()}")
    proc = subprocess.run(
        ["tar", "--zstd", "-C", str(emulator_dir() / name), "-cf", str(partial), "rootfs", MANIFEST],
        capture_output=True,
    )
    if proc.returncode == 0:
        os.replace(partial, final)
    else:
        partial.unlink(missing_ok=True)


def _restore_archive(name: str, staged: Path) -> ImageInfo | None:
    archive = archive_path(name)
    if not archive.is_file() or not shutil.which("zstd"):
        return None
    proc = subprocess.run(["tar", "--zstd", "-C", str(staged), "-xf", str(archive)], capture_output=True)
    if proc.returncode != 0:
        return None
    return _read_manifest(staged, name)


def build_image(name: str, force: bool = False) -> ImageInfo:
    """Build (or restore from its archive) image ``name``; with ``force`` always rebuild from the mirror.

    An existing valid image is returned as is unless ``force``. A failed forced rebuild keeps the old image.
    """
    spec = image_spec(name)
    final = emulator_dir() / spec.name
    started = time.monotonic()
    with _image_lock(spec.name):
        if not force and (current := read_image(spec.name)) is not None:
            return current
        _remove_leftovers(spec.name)
        staged = Path(tempfile.mkdtemp(prefix=f".build-{spec.name}-", dir=emulator_dir()))
        try:
            info = None if force else _restore_archive(spec.name, staged)
            origin = "archive" if info else "built"
            if info is None:
                shutil.rmtree(staged)
                staged.mkdir()
                info = _build_fresh(spec, staged)
            _move_into_place(staged, final)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        if origin == "built":
            _write_archive(spec.name)
        info = read_image(spec.name)
    if info is None:
        raise EmulatorImageError(spec.name, "install", f"{final} is not valid after the build")
    return _with_origin(info, origin, time.monotonic() - started)


def _with_origin(info: ImageInfo, origin: str, seconds: float) -> ImageInfo:
    data = {k: getattr(info, k) for k in ImageInfo.__dataclass_fields__}
    data.update(origin=origin, seconds=round(seconds, 2))
    return ImageInfo(**data)


def ensure_image(name: str) -> ImageInfo:
    """The image, built (or restored) first if absent. Safe to call from several processes at once."""
    return read_image(name) or build_image(name)


def remove_image(name: str, keep_archive: bool = False) -> bool:
    """Delete the image (and its archive unless ``keep_archive``); False when there was nothing to delete."""
    spec = image_spec(name)
    removed = False
    with _image_lock(spec.name):
        _remove_leftovers(spec.name)
        final = emulator_dir() / spec.name
        if final.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".old-{spec.name}-", dir=emulator_dir()))
            os.rename(final, trash / spec.name)  # gone from view at once, then deleted
            shutil.rmtree(trash)
            removed = True
        if not keep_archive and archive_path(spec.name).exists():
            archive_path(spec.name).unlink()
            removed = True
    return removed
