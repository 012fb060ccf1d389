"""`edgetk devices list|add|check`: the device inventory (devices.toml)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.options import ask_password_option, inventory_option, trust_new_host_key_option
from toolkit.schemas import document


def register(app: typer.Typer) -> None:
    devices = typer.Typer(help="Named devices (devices.toml): list, add, check.", no_args_is_help=True)
    app.add_typer(devices, name="devices")

    @devices.command("list")
    def list_(
        inventory: Path | None = inventory_option(),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the devices in the inventory."""
        from toolkit.devices import load_inventory

        inv = load_inventory(inventory)
        if as_json:
            typer.echo(json.dumps({"schema": "edgetk.devices/1", "inventory": str(inv.path), "devices": [
                inv.devices[n].model_dump(exclude_none=True) for n in inv.names()]}, indent=2))
            return
        from toolkit.report.devices_text import print_inventory

        print_inventory(inv)

    @devices.command("add")
    def add(
        name: str = typer.Argument(..., help="Device name (letters, digits, - and _)."),
        target: str = typer.Option(..., "--target", help="Target descriptor, e.g. rpi4-arm64."),
        transport: str = typer.Option(..., "--transport", help="ssh | adb | local | emulator"),
        host: str | None = typer.Option(None, "--host", help="ssh: host name or ~/.ssh/config alias."),
        port: int | None = typer.Option(None, "--port", help="ssh: port."),
        user: str | None = typer.Option(None, "--user", help="ssh: user."),
        identity_file: str | None = typer.Option(None, "--identity-file", help="ssh: private key file."),
        known_hosts: str | None = typer.Option(None, "--known-hosts", help="ssh: known_hosts file."),
        password_env: str | None = typer.Option(
            None, "--password-env", help="ssh: NAME of the environment variable holding the password."
        ),
        remote_dir: str | None = typer.Option(None, "--remote-dir", help="Device directory for edgetk files."),
        python: str | None = typer.Option(None, "--python", help="Device Python (default python3)."),
        serial: str | None = typer.Option(None, "--serial", help="adb: device serial."),
        adb: str | None = typer.Option(None, "--adb", help="adb: client binary."),
        benchmark_binary: str | None = typer.Option(
            None, "--benchmark-binary", help="adb: LiteRT's benchmark_model (a host file, pushed; or a device path)."
        ),
        inference_diff_binary: str | None = typer.Option(
            None, "--inference-diff-binary", help="adb: LiteRT's inference_diff for GPU numerics (host file or device path)."
        ),
        image: str | None = typer.Option(None, "--image", help="emulator: image name."),
        inventory: Path | None = inventory_option(),
    ) -> None:
        """Add a device to the inventory (validated before it is written)."""
        from toolkit.devices import add_device

        fields = dict(target=target, transport=transport, host=host, port=port, user=user,
                      identity_file=identity_file, known_hosts=known_hosts, password_env=password_env,
                      remote_dir=remote_dir, python=python, serial=serial, adb=adb, image=image,
                      benchmark_binary=benchmark_binary, inference_diff_binary=inference_diff_binary)
        path, _ = add_device(name, fields, inventory)
        typer.echo(f"added {name} to {path}")

    @devices.command("check")
    def check(
        name: str = typer.Argument(..., help="Device name."),
        inventory: Path | None = inventory_option(),
        trust_new_host_key: bool = trust_new_host_key_option(),
        ask_password: bool = ask_password_option(),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Connect and report arch, OS, Python and installed runtimes (with install hints)."""
        from toolkit.devices import check_device

        facts = check_device(name, inventory=inventory, trust_new_host_key=trust_new_host_key,
                             ask_password=ask_password)
        if as_json:
            typer.echo(json.dumps(document("edgetk.device-facts/1", {"device": name, **facts.to_dict()}), indent=2))
        else:
            from toolkit.report.devices_text import facts_lines

            for line in facts_lines(name, facts):
                typer.echo(line)
        if not facts.ready:
            raise typer.Exit(1)
