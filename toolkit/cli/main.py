"""The `edgetk` entry point: builds the typer app from one module per verb and maps errors to exit codes.

This is the only place where exceptions become exit codes: expected failures (``ToolkitError``) print
one red line; anything else writes a debug log (no local variables, so no secrets) and prints its path.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import typer
from typer import exceptions as typer_exceptions
from typer._click import exceptions as click_exceptions  # typer >= 0.29 vendors click here

from toolkit import __version__
from toolkit.errors import ExitCode, ToolkitError, missing_dependency

# Each module defines `register(app: typer.Typer) -> None`. Order is the order of `edgetk --help`.
VERBS = [
    "convert",
    "inspect",
    "check",
    "targets",
    "bench",
    "emulator",
    "results",
    "devices",
    "deploy",
    "android",
    "legacy",
    "compare",
    "report",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edgetk {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="edgetk",
        help="Convert, inspect, check, bench and compare TensorFlow Lite / LiteRT models for devices.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
        context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every verb
        rich_markup_mode=None,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    ) -> None:
        """edgetk — on-device deployment toolkit for TensorFlow Lite / LiteRT."""

    for verb in VERBS:
        module_name = f"toolkit.cli.{verb}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a verb still under construction in this checkout
            if exc.name == module_name:
                continue
            raise
        module.register(app)
    return app


def _err(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    from toolkit.text import inert

    # the message names user files and devices: "[/]" in a path is text, not markup; device and runtime
    # text may carry terminal escapes (an OSC title, a clear-screen): shown, never obeyed
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(inert(message))}",
                                                                markup=True)


def _write_debug_log(exc: BaseException) -> str:
    """Where the traceback went. Never raises: a full or read-only cache dir falls back to the temp dir,
    and if nothing is writable the message says so instead of a second traceback hiding the first."""
    import tempfile

    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # noqa: BLE001 - e.g. an exception whose __str__ itself fails
        text = f"{type(exc).__name__} (traceback could not be formatted)\n"
    name = f"edgetk-debug-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    reasons = []
    for directory in (_logs_dir, lambda: tempfile.gettempdir()):
        try:
            logs = Path(directory())
            logs.mkdir(parents=True, exist_ok=True)
            path = logs / name
            path.write_text(f"edgetk {__version__}\nargv: {sys.argv[:2]}\n{text}")
            return str(path)
        except Exception as err:  # noqa: BLE001 - the log writer must not become a second crash
            reasons.append(getattr(err, "strerror", None) or type(err).__name__)
    return f"no debug log (could not write one: {'; '.join(map(str, reasons))})"


def _logs_dir() -> Path:
    from toolkit.paths import cache_dir

    return cache_dir() / "logs"


class Stopped(BaseException):
    """SIGINT or SIGTERM, raised in the main thread so every ``finally`` runs: child process groups are
    killed (``toolkit.children``), temp and run dirs removed, connections closed. Not KeyboardInterrupt:
    typer turns that into a silent exit 130 before this module could say anything."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    import signal

    from toolkit.children import CANCEL

    for sig in _HANDLED:  # one clean-up: a second signal must not interrupt it
        signal.signal(sig, signal.SIG_IGN)
    CANCEL.set()  # threads (fleet runs) stop their children and remote commands too, not only this one
    raise Stopped(signum)


_HANDLED = (2, 15)  # SIGINT, SIGTERM


def _stopped(signum: int) -> int:
    from toolkit import children

    killed = children.kill_all()  # children that fleet threads started are not unwound by the exception
    what = "interrupted (Ctrl-C)" if signum == 2 else "terminated (SIGTERM)"
    _err(what + (f"; stopped {killed} more child process group(s)" if killed else ""))
    return int(ExitCode.INTERRUPTED if signum == 2 else ExitCode.TERMINATED)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (used by tests and by `run`)."""
    import signal
    import threading

    from toolkit.children import CANCEL

    CANCEL.clear()  # a new command (tests call main() in-process)
    previous = {}
    # A signal ignored at start stays ignored (a background job of a script, nohup): the shell chose so, not us.
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, _on_signal)
                    for sig in _HANDLED if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        return _main(argv)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _main(argv: list[str] | None) -> int:
    try:
        command = typer.main.get_command(build_app())
        result = command.main(args=argv, prog_name="edgetk", standalone_mode=False)
    except ToolkitError as exc:
        _err(exc.message)
        return int(exc.exit_code)
    except Stopped as stop:
        return _stopped(stop.signum)
    except ModuleNotFoundError as exc:  # an optional runtime imported in-process: exit 3 with the pip command
        missing = missing_dependency(exc.name)
        if missing is None:
            return _internal(exc)
        _err(missing.message)
        return int(missing.exit_code)
    except (typer_exceptions.Abort, KeyboardInterrupt):
        return _stopped(2)
    except click_exceptions.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are caught
        return _internal(exc)
    return int(result) if isinstance(result, int) else 0


def _internal(exc: BaseException) -> int:
    path = _write_debug_log(exc)
    _err(f"internal error ({type(exc).__name__}); details in {path} — please report it")
    return int(ExitCode.INTERNAL)


def run() -> None:
    sys.exit(main())
