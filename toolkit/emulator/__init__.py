"""Emulated Raspberry Pi images: Debian 12 (Raspberry Pi OS bookworm's base) run under qemu-user.

Library entry points used by the CLI, the emulator transport and tests.
"""

from toolkit.emulator.images import (
    ImageInfo,
    archive_path,
    build_image,
    emulator_dir,
    ensure_image,
    list_images,
    read_image,
    remove_image,
)
from toolkit.emulator.specs import IMAGE_SPECS, ImageSpec, image_spec, resolve_names

__all__ = [
    "IMAGE_SPECS",
    "ImageInfo",
    "ImageSpec",
    "archive_path",
    "build_image",
    "emulator_dir",
    "ensure_image",
    "image_spec",
    "list_images",
    "read_image",
    "remove_image",
    "resolve_names",
]
