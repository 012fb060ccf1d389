"""Options shared by the verbs that reach devices: one definition and one help text each."""

from __future__ import annotations

import typer

INVENTORY_HELP = "devices.toml to use (default: ./devices.toml, then the user config dir)."


def inventory_option() -> typer.models.OptionInfo:
    return typer.Option(None, "--inventory", help=INVENTORY_HELP)


def trust_new_host_key_option() -> typer.models.OptionInfo:
    return typer.Option(
        False, "--trust-new-host-key", help="Accept and remember an SSH host key seen for the first time."
    )


def ask_password_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--ask-password", help="Prompt for the SSH password (not echoed, never stored).")
