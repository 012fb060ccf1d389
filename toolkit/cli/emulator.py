"""`edgetk emulator build|list|rm`: the emulated Raspberry Pi images (qemu-user, Debian 12)."""

from __future__ import annotations

import json

import typer

emulator_app = typer.Typer(help="Build, list and remove emulated Raspberry Pi images (qemu-user, Debian 12).")


@emulator_app.command("build")
def build(
    which: str = typer.Argument("all", help="arm64 (Pi 4/5), armhf (Pi Zero 2 W, 32-bit), all, or an image name."),
    force: bool = typer.Option(False, "--force", help="Rebuild from the Debian mirror even if the image exists."),
) -> None:
    """Build images (seconds; restored from the cached .tar.zst when there is one)."""
    from toolkit.emulator import build_image, resolve_names

    for name in resolve_names(which):
        info = build_image(name, force=force)
        what = {"built": "built", "archive": "restored from archive", "cached": "already built"}[info.origin]
        runtimes = ", ".join(f"{k} {v}" for k, v in info.versions.items() if k not in ("python", "numpy"))
        typer.echo(f"{info.name}: {what} in {info.seconds:.1f} s ({info.machine}, {info.pi_model}; {runtimes})")


@emulator_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List built images."""
    from toolkit.emulator import list_images

    images = list_images()
    if as_json:
        from toolkit.schemas import document

        typer.echo(json.dumps(document("edgetk.emulator-images/1", {"images": [i.to_dict() for i in images]}), indent=2))
        return
    from toolkit.report.emulator_text import print_images

    print_images(images)


@emulator_app.command("rm")
def rm(
    name: str = typer.Argument(..., help="Image name or alias (arm64, armhf)."),
    keep_archive: bool = typer.Option(False, "--keep-archive", help="Keep the .tar.zst for a fast rebuild."),
) -> None:
    """Remove an image (and its archive)."""
    from toolkit.emulator import image_spec, remove_image

    full = image_spec(name).name
    removed = remove_image(full, keep_archive=keep_archive)
    typer.echo(f"{full}: removed" if removed else f"{full}: nothing to remove")


def register(app: typer.Typer) -> None:
    app.add_typer(emulator_app, name="emulator")
