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


def _positive_seconds(ctx: typer.Context, param: typer.CallbackParam, value: float | None) -> float | None:
    """--timeout nan / inf / 0 / -1 is a usage error (one line, exit 2), not a run that can never end."""
    import math

    from toolkit.errors import BadInputError

    if value is not None and (not math.isfinite(value) or value <= 0):
        raise BadInputError(f"--{param.name.replace('_', '-')} {value!r}: must be a positive number of seconds")
    return value


def seconds_option(default: float, name: str, help: str) -> typer.models.OptionInfo:
    """A timeout in seconds, validated finite and positive."""
    return typer.Option(default, name, help=help, callback=_positive_seconds)
