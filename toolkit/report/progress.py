"""Progress shown while a library call works: spinners and per-device status lines, on stderr.

The library reports progress through plain callbacks (``progress(text)``, ``on_status(device, text, done)``)
and never prints; these are the terminal renderings the CLI passes in. Device and runtime text is made
inert (no terminal escapes) and escaped for rich markup before it is shown.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any


@contextmanager
def stage_spinner(console: Any, first: str, *, enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A spinner whose text follows the stages the library reports; yields None (no progress) when off."""
    if not enabled:
        yield None
        return
    from toolkit.report.markup import markup_safe

    with console.status(markup_safe(first), spinner="dots") as status:
        yield lambda text: status.update(markup_safe(text))


def busy(message: str, *, enabled: bool = True) -> AbstractContextManager[Any]:
    """A spinner on stderr while a device works (only on a terminal, never over a password prompt)."""
    from rich.console import Console

    console = Console(stderr=True)
    from toolkit.report.markup import markup_safe  # the message names the model file

    return console.status(markup_safe(message)) if enabled and console.is_terminal else nullcontext()


class DeviceStatusLines:
    """One status line per device: a live rich display on a terminal, plain lines otherwise.

    ``live=None`` decides by whether stderr is a terminal. Use as a context manager; ``update`` is the
    ``on_status`` callback of ``toolkit.bench.fleet.bench_fleet`` (called from worker threads). A device's
    line appears at its first status ("queued"); plain lines skip "queued" (a CI log wants what happened).
    """

    def __init__(self, live: bool | None) -> None:
        self.live = sys.stderr.isatty() if live is None else live
        self.lock = threading.Lock()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> DeviceStatusLines:
        if self.live:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            self.progress.start()
        return self

    def update(self, name: str, status: str, done: bool = False) -> None:
        from rich.markup import escape

        from toolkit.text import inert

        status = inert(status)  # device and runtime text: shown, never obeyed by the terminal
        with self.lock:
            if self.progress is not None:
                line = f"{inert(name)}: {escape(status)}"
                if name not in self.tasks:
                    self.tasks[name] = self.progress.add_task(line, total=1)
                self.progress.update(self.tasks[name], description=line, completed=int(done))
            elif status != "queued":
                print(f"{name}: {status}", file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


class TerminalBenchProgress:
    """``toolkit.bench.bench_run.BenchProgress`` on stderr: a spinner for one target (on a terminal, never
    over a password prompt), one line per fleet device (live on a terminal unless ``live_devices`` is
    False). Use as a context manager around ``run_bench``."""

    def __init__(self, *, spinner: bool = True, live_devices: bool | None = None) -> None:
        self.spinner = spinner
        self.lines = DeviceStatusLines(live_devices)

    def busy(self, message: str) -> AbstractContextManager[Any]:
        return busy(message, enabled=self.spinner)

    def device(self, name: str, status: str, done: bool) -> None:
        self.lines.update(name, status, done)

    def __enter__(self) -> TerminalBenchProgress:
        self.lines.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lines.__exit__(*exc)
