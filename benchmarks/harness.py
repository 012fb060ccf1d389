"""Timing harness for the performance suite: repeated child-process runs, min/median/max, peak RSS.

Figures are always ratios against an anchor measured in the same run, because these machines are noisy;
each figure is reported with its spread, never as a single number.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    stdout: str = field(default="", repr=False)


@dataclass(frozen=True)
class Spread:
    """min / median / max over repeated runs (seconds or any unit)."""

    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def fmt(self, unit: str = "s", scale: float = 1.0, digits: int = 3) -> str:
        return (f"{self.min * scale:.{digits}f} / {self.median * scale:.{digits}f} / "
                f"{self.max * scale:.{digits}f} {unit}")


def run_child(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
              ok_codes: tuple[int, ...] = (0, 1)) -> Sample:
    """Run argv once; wall time and the child's own peak RSS (wait4, so other children do not count).

    Output goes to temp files, not pipes, so a chatty child cannot block on a full pipe while we wait.
    Exit code 1 is accepted by default: a failing verdict is still a measurement.
    """
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(map(str, argv[:4]))} failed ({proc.returncode}): {stderr.strip()[-300:]}")
    return Sample(seconds=elapsed, peak_rss_mb=usage.ru_maxrss / 1024, stdout=stdout)


def repeat(fn: Callable[[], Sample], n: int) -> tuple[Spread, Spread]:
    """Interleave-friendly: call fn n times, return (seconds spread, peak RSS spread)."""
    samples = [fn() for _ in range(n)]
    return Spread(tuple(s.seconds for s in samples)), Spread(tuple(s.peak_rss_mb for s in samples))


def interleave(fns: dict[str, Callable[[], Sample]], rounds: int) -> dict[str, list[Sample]]:
    """Run each candidate once per round, alternating, so machine drift hits all of them alike."""
    out: dict[str, list[Sample]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            out[name].append(fn())
    return out


def spread(samples: list[Sample]) -> Spread:
    return Spread(tuple(s.seconds for s in samples))


def rss(samples: list[Sample]) -> Spread:
    return Spread(tuple(s.peak_rss_mb for s in samples))


# ------------------------------------------------------------------ rows, machine facts, rendering
@dataclass
class Row:
    """One line of docs/PERFORMANCE.md: edgetk vs its anchor, both measured in the same run.

    ``edgetk``/``anchor`` are spreads in ``unit``; ``met`` is None when the figure has no pass/fail goal or
    could not be measured (``note`` then says why: "not measured: ...").
    """

    id: str
    what: str
    edgetk: Spread | None = None
    anchor: Spread | None = None
    anchor_what: str = ""
    unit: str = "s"
    goal: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """edgetk median / anchor median (the figure the goals are stated in)."""
        if self.edgetk is None or self.anchor is None or self.anchor.median == 0:
            return None
        return self.edgetk.median / self.anchor.median


def not_measured(id: str, what: str, why: str, goal: str = "") -> Row:
    return Row(id=id, what=what, goal=goal, note=f"not measured: {why}")


def ratio_spread(num: list[Sample], den: list[Sample]) -> Spread:
    """Per-round ratios of interleaved samples: the noise of the ratio itself."""
    return Spread(tuple(a.seconds / b.seconds for a, b in zip(num, den, strict=True) if b.seconds > 0))


def machine_facts() -> dict[str, str]:
    """Cores, CPU model and load average at the start: the context the numbers need."""
    import platform

    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    return {"cores": str(os.cpu_count()), "cpu": cpu, "load average (1/5/15 min) at start": load,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}"}


def _cell(s: Spread | None, unit: str) -> str:
    if s is None:
        return "—"
    scale, shown = (1000.0, "ms") if unit == "s" and s.max < 1 else (1.0, unit)
    top = s.max * scale
    digits = 0 if unit == "B" else 3 if top < 1 else 2 if top < 10 else 1 if top < 100 else 0
    return s.fmt(shown, scale, digits)


def render_rows(rows: list[Row]) -> str:
    """A markdown table; spreads are min / median / max."""
    head = ("| id | what | edgetk (min / median / max) | anchor | anchor (min / median / max) | ratio (median) "
            "| goal | met? |\n|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        what = r.what + (f" — {r.note}" if r.note else "")
        lines.append(f"| {r.id} | {what} | {_cell(r.edgetk, r.unit)} | {r.anchor_what or '—'} | "
                     f"{_cell(r.anchor, r.unit)} | {ratio} | {r.goal or '—'} | {met} |")
    return head + "\n".join(lines) + "\n"


@dataclass
class Context:
    """What every figure module gets: rounds, a scratch dir, the child environment, where plots go."""

    rounds: int
    work: Path
    plots: Path
    env: dict[str, str]

    def edgetk(self, *args: object) -> list[str]:
        """argv of the installed `edgetk` console script (what a user runs), cold process each time."""
        script = Path(sys.executable).parent / "edgetk"
        head = [str(script)] if script.exists() else [sys.executable, "-m", "toolkit.cli"]
        return [*head, *map(str, args)]

    def python(self, code: str) -> list[str]:
        return [sys.executable, "-c", code]

    def child(self, argv: Sequence[str], ok_codes: tuple[int, ...] = (0, 1)) -> Callable[[], Sample]:
        return lambda: run_child(argv, env=self.env, cwd=str(REPO), ok_codes=ok_codes)


@dataclass
class Section:
    """A figure's part of docs/PERFORMANCE.md: its rows plus free markdown (method, extra tables, plots)."""

    id: str
    title: str
    rows: list[Row]
    text: str = ""
