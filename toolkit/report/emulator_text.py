"""`edgetk emulator list` as text: every image spec, built or not, with its runtimes and archive."""

from __future__ import annotations

from typing import Any

from toolkit.report.columns import print_text, table_lines, terminal_width


def _mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def print_images(images: list[Any]) -> None:
    """One row per known image (toolkit.emulator.IMAGE_SPECS); ``images`` are the built ones."""
    from toolkit.emulator import IMAGE_SPECS, archive_path

    rows = []
    built = {i.name: i for i in images}
    for name, spec in IMAGE_SPECS.items():
        info = built.get(name)
        archive = "yes" if archive_path(name).is_file() else "-"
        if info is None:
            rows.append([name, spec.machine, spec.cpu, "-", "not built", archive, spec.pi_model])
            continue
        runtimes = ", ".join(f"{k} {v}" for k, v in info.versions.items() if k != "python")
        built_at = f"{info.built_at[:16]} ({info.build_seconds:.0f} s)"
        rows.append([name, info.machine, info.cpu, _mb(info.size_bytes), built_at, archive,
                     f"{info.pi_model}; {runtimes}"])
    headers = ["image", "arch", "qemu cpu", "size", "built", "archive", "Pi model; runtimes"]
    print_text(table_lines(headers, rows, terminal_width()))
