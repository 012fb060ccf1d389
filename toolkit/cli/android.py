"""`edgetk android setup`: download LiteRT's benchmark_model for phones (the adb path without Python)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    android = typer.Typer(help="Android phones without Python: LiteRT's benchmark_model and inference_diff.", no_args_is_help=True)
    app.add_typer(android, name="android")

    @android.command("setup")
    def setup(
        abi: str = typer.Option("arm64-v8a", "--abi", help="The phone's ABI: arm64-v8a or armeabi-v7a."),
        out: Path = typer.Option(None, "--out", help="Directory for the binary (default: edgetk's cache)."),
        base_url: str = typer.Option(None, "--base-url", help="Mirror of the official download directory."),
        tool: str = typer.Option("benchmark_model", "--tool", help="benchmark_model (latency) or inference_diff "
                                 "(GPU-vs-CPU numerics for bench --accelerator gpu)."),
    ) -> None:
        """Download benchmark_model or inference_diff (official nightly build) and say how to name it in devices.toml."""
        from toolkit.devices.android import BASE_URL, TOOLS, download_benchmark_model
        from toolkit.paths import cache_dir

        target = out or cache_dir() / "android" / abi
        path = download_benchmark_model(abi, target, base_url=base_url or BASE_URL, tool=tool)
        typer.echo(f"{tool} for {abi}: {path} (URL, version and sha256 in {path.parent / f'{tool}.json'})")
        typer.echo(f"add to the phone's entry in devices.toml: {TOOLS[tool][1]} = \"{path}\"")
