"""`edgetk deploy MODEL --device NAME`: put the model and the runner on a device, verified by sha256."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.options import ask_password_option, inventory_option, trust_new_host_key_option


def register(app: typer.Typer) -> None:
    @app.command("deploy")
    def deploy(
        model: Path = typer.Argument(..., help="The .tflite model."),
        device: str = typer.Option(..., "--device", "-d", help="Device name from devices.toml."),
        inventory: Path | None = inventory_option(),
        trust_new_host_key: bool = trust_new_host_key_option(),
        ask_password: bool = ask_password_option(),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Upload MODEL and the device-side runner (atomic, hash-verified, cached by content)."""
        from toolkit.devices.deploy import deploy_model

        result = deploy_model(model, device, inventory=inventory, trust_new_host_key=trust_new_host_key,
                              ask_password=ask_password)
        if as_json:
            from toolkit.schemas import document

            typer.echo(json.dumps(document("edgetk.deploy/1", result.to_dict()), indent=2))
            return
        from toolkit.text import inert  # the model's file name and the device's path

        for f in result.files:
            state = "cached (not sent)" if f.cached else f"sent {f.bytes_sent} bytes"
            typer.echo(inert(f"{result.device}: {f.name} -> {f.remote_path} [sha256 {f.sha256[:12]}, {state}]"))
