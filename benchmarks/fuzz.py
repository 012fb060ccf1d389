"""Model fuzzer: mutated real .tflite files through inspect, check and bench; figures for docs/RELIABILITY.md.

    python -m benchmarks.fuzz --cases 10000 --write docs/RELIABILITY.md     (the `make fuzz` target)

Every case is one mutation of a seed (benchmarks/fuzz_seeds.py, fuzz_mutators.py). Most cases run
in-process through the library functions the CLI calls (parse_model -> to_dict -> estimate_cost ->
check_model against every shipped target), which is fast; the only acceptable outcomes are "accepted" or a
ToolkitError with a one-line message. Any other exception is a crash, a case over the time limit a hang.
Every ``--cli-every``-th case also runs through the real CLI as a child process (`edgetk inspect`,
`check --all-targets`, `bench` on host-x86_64 and cortex-m4 (TFLM)), which must exit with a documented
code, print one ``error:`` line on failure and never a Python traceback; a native runtime that dies must be
reported as exit 6 naming the signal.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.fuzz_mutators import SeedMap, map_seed, mutate
from benchmarks.fuzz_seeds import all_seeds

DOCUMENTED_EXIT_CODES = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 130, 143})  # docs/EXIT_CODES.md; 70 means a bug
CASE_TIME_LIMIT_S = 10
CLI_COMMANDS = ("inspect", "check", "bench-host", "bench-tflm")
_SIGNAL = re.compile(r"killed by (SIG\w+)")


@dataclass(frozen=True)
class Outcome:
    """What the library made of one mutated model."""

    status: str  # "accepted" | "rejected" (a ToolkitError) | "crash" | "hang"
    exit_code: int | None
    detail: str = ""


@dataclass(frozen=True)
class CliOutcome:
    command: str
    returncode: int
    problem: str | None  # why the run breaks the CLI contract, or None
    signal: str | None = None


@dataclass
class FuzzReport:
    cases: int = 0
    seeds: list[str] = field(default_factory=list)
    seconds: float = 0.0
    status: Counter = field(default_factory=Counter)
    exit_codes: Counter = field(default_factory=Counter)
    by_mutation: dict[str, Counter] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)  # crashes and hangs, with the reproducer
    cli: list[CliOutcome] = field(default_factory=list)
    cli_seconds: float = 0.0

    @property
    def crashes(self) -> int:
        return self.status["crash"] + self.status["hang"]

    @property
    def cli_problems(self) -> list[CliOutcome]:
        return [c for c in self.cli if c.problem]


class _CaseTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _CaseTimeout


def run_in_process(data: bytes, targets: list[Any]) -> Outcome:
    """The library path of inspect + check: any exception but a one-line ToolkitError is a crash."""
    from toolkit.errors import ToolkitError
    from toolkit.model import parse_model
    from toolkit.model.cost import estimate_cost
    from toolkit.targets import check_model

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_TIME_LIMIT_S)
    try:
        model = parse_model(data, Path("fuzzed.tflite"))
        json.dumps(model.to_dict())
        json.dumps(estimate_cost(model).to_dict())
        model.op_counts()
        report = check_model(model, targets)
        json.dumps(report.to_dict())
        return Outcome("accepted", 0 if report.all_run else 1)
    except ToolkitError as exc:
        if "\n" in str(exc):
            return Outcome("crash", int(exc.exit_code), f"multi-line error message: {str(exc)[:200]!r}")
        return Outcome("rejected", int(exc.exit_code), str(exc)[:200])
    except _CaseTimeout:
        return Outcome("hang", None, f"no answer within {CASE_TIME_LIMIT_S} s")
    except BaseException as exc:  # noqa: BLE001 - the point of the fuzzer: classify everything else
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        return Outcome("crash", None, f"{type(exc).__name__} at {where}: {str(exc)[:160]}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cli_argv(command: str, model: Path) -> list[str]:
    # A runtime stuck in init (TFLM on a WHILE whose cond == body) costs the whole timeout: keep it short.
    bench = ["--runs", "1", "--warmup", "0", "--no-store", "--timeout", "20"]
    return {
        "inspect": ["inspect", str(model)],
        "check": ["check", str(model), "--all-targets"],
        "bench-host": ["bench", str(model), "--target", "host-x86_64", *bench],
        "bench-tflm": ["bench", str(model), "--target", "cortex-m4", *bench],
    }[command]


def cli_contract_problem(returncode: int, stdout: str, stderr: str) -> str | None:
    """None when a CLI run keeps the contract of docs/EXIT_CODES.md, else what it broke."""
    if "Traceback" in stdout or "Traceback" in stderr:
        return "a Python traceback was printed"
    if returncode not in DOCUMENTED_EXIT_CODES:
        return f"undocumented exit code {returncode}: {stderr.strip()[:200]}"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    first = "warning:" if returncode == 7 else "error:"  # 7: the result was printed, storing it failed
    if returncode >= 2 and (len(lines) != 1 or not lines[0].startswith(first)):
        return f"exit {returncode} without exactly one '{first}' line on stderr: {stderr.strip()[:300]!r}"
    if returncode == 6 and "bench" in stdout + stderr and not lines:
        return "runtime crash without a message"
    return None


def run_cli_case(command: str, model: Path, env: dict[str, str], timeout: float = 180) -> CliOutcome:
    """One `edgetk` child process on a mutated model, judged by ``cli_contract_problem``."""
    argv = [sys.executable, "-m", "toolkit.cli", *cli_argv(command, model)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, errors="replace")
    except subprocess.TimeoutExpired:
        return CliOutcome(command, -1, f"edgetk did not finish within {timeout:g} s")
    found = _SIGNAL.search(proc.stderr)
    return CliOutcome(command, proc.returncode, cli_contract_problem(proc.returncode, proc.stdout, proc.stderr),
                      found.group(1) if found else None)  # fmt: skip


def _cli_env(home: Path) -> dict[str, str]:
    """A private EDGETK_HOME (and cache) for the children: fuzzed blobs never reach the user's cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("EDGETK_CACHE", "EDGETK_TARGETS_PATH")}
    env["EDGETK_HOME"] = str(home)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def _cli_command(i: int, outcome: Outcome, cli_every: int, rng: random.Random, turn: int) -> str | None:
    """Which CLI command (if any) case ``i`` also runs through.

    Every ``cli_every``-th case goes through inspect / check / bench (mostly rejected: tests the reader's
    error path end to end). Accepted models are what the native runtimes get to see, so they are sampled
    four times as often and mostly benched (LiteRT on the host, TFLM for cortex-m4).
    """
    if not cli_every:
        return None
    if outcome.status == "accepted" and rng.random() < 4 / cli_every:
        return ("bench-host", "bench-tflm", "check")[turn % 3]
    if i % cli_every == 0:
        return ("inspect", "check", "bench-host")[turn % 3]
    return None


def fuzz(cases: int, *, seed: int = 0, cli_every: int = 100, jobs: int = 2, cache: Path | None = None,
         workdir: Path | None = None) -> FuzzReport:  # fmt: skip
    """Run ``cases`` mutations; every ``cli_every``-th also through the CLI (0: none). Deterministic per seed."""
    from toolkit.paths import cache_dir
    from toolkit.targets import load_registry

    rng, sampler = random.Random(seed), random.Random(seed + 1)
    seeds = all_seeds(cache or cache_dir())
    maps: dict[str, SeedMap] = {name: map_seed(data) for name, data in seeds.items()}
    targets = load_registry().all()
    report = FuzzReport(seeds=list(seeds))
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="edgetk-fuzz-")) if own_workdir else workdir
    cli_cases: list[tuple[str, Path]] = []
    start = time.perf_counter()
    names = list(seeds)
    for i in range(cases):
        name = names[i % len(names)]
        data, mutation = mutate(seeds[name], maps[name], rng)
        outcome = run_in_process(data, targets)
        _record(report, name, mutation, data, outcome, workdir, i)
        command = _cli_command(i, outcome, cli_every, sampler, len(cli_cases))
        if command:
            path = workdir / f"case-{i}.tflite"
            path.write_bytes(data)
            cli_cases.append((command, path))
    report.cases, report.seconds = cases, time.perf_counter() - start
    start = time.perf_counter()
    env = _cli_env(workdir / "home")
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        report.cli = list(pool.map(lambda c: run_cli_case(c[0], c[1], env), cli_cases))
    report.cli_seconds = time.perf_counter() - start
    if own_workdir and not report.failures and not report.cli_problems:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def _record(report: FuzzReport, seed: str, mutation: str, data: bytes, outcome: Outcome, workdir: Path,
            i: int) -> None:  # fmt: skip
    report.status[outcome.status] += 1
    report.exit_codes[outcome.exit_code] += 1
    for part in mutation.split("+"):
        report.by_mutation.setdefault(part, Counter())[outcome.status] += 1
    if outcome.status in ("crash", "hang"):
        path = workdir / f"failure-{i}.tflite"
        path.write_bytes(data)
        report.failures.append({"case": i, "seed": seed, "mutation": mutation, "status": outcome.status,
                                "detail": outcome.detail, "reproducer": str(path)})  # fmt: skip


def render_markdown(report: FuzzReport, argv: list[str]) -> str:
    """The fuzz section of docs/RELIABILITY.md."""
    rate = report.cases / report.seconds if report.seconds else 0.0
    lines = [
        f"Command: `python -m benchmarks.fuzz {' '.join(argv)}` — {report.cases:,} cases from "
        f"{len(report.seeds)} seeds ({', '.join(report.seeds)}).",
        "",
        "| | value |", "|---|---|",
        f"| in-process cases | {report.cases:,} in {report.seconds:.1f} s ({rate:,.0f} cases/s) |",
        f"| crashes (exceptions other than a one-line ToolkitError) | {report.status['crash']} |",
        f"| hangs (> {CASE_TIME_LIMIT_S} s) | {report.status['hang']} |",
        f"| accepted / rejected | {report.status['accepted']:,} / {report.status['rejected']:,} |",
        f"| CLI child runs | {len(report.cli)} in {report.cli_seconds:.1f} s |",
        f"| CLI contract violations (traceback, undocumented code, not one `error:` line) | {len(report.cli_problems)} |",
        f"| CLI runs with a Python traceback | {sum('traceback' in (c.problem or '') for c in report.cli)} |",
        "",
        "In-process exit codes (0/1 = accepted, the check verdict; 2 = malformed model): "
        + ", ".join(f"`{code}`: {n:,}" for code, n in sorted(report.exit_codes.items(), key=lambda kv: str(kv[0]))),
        "",
        "| CLI command | runs | exit-code histogram | signals reported |", "|---|---|---|---|",
    ]  # fmt: skip
    for command in CLI_COMMANDS:
        runs = [c for c in report.cli if c.command == command]
        hist = Counter(c.returncode for c in runs)
        signals = Counter(c.signal for c in runs if c.signal)
        lines.append(f"| {command} | {len(runs)} | {', '.join(f'`{k}`: {v}' for k, v in sorted(hist.items()))} | "
                     f"{', '.join(f'{k}: {v}' for k, v in sorted(signals.items())) or '-'} |")  # fmt: skip
    lines += ["", "| mutation | cases | accepted | rejected | crash/hang |", "|---|---|---|---|---|"]
    for name, counts in sorted(report.by_mutation.items()):
        lines.append(f"| {name} | {sum(counts.values()):,} | {counts['accepted']:,} | {counts['rejected']:,} | "
                     f"{counts['crash'] + counts['hang']} |")  # fmt: skip
    for item in report.failures[:20] + [{"cli": c.command, "problem": c.problem} for c in report.cli_problems[:20]]:
        lines.append(f"- FAILURE: `{json.dumps(item)}`")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- fuzz:begin (written by `make fuzz`) -->", "<!-- fuzz:end -->"


def write_section(path: Path, text: str) -> None:
    """Replace the text between the fuzz markers; the rest of the document is hand-written."""
    doc = path.read_text() if path.exists() else f"# Reliability\n\n## Fuzzed models\n{BEGIN}\n{END}\n"
    if BEGIN not in doc or END not in doc:
        doc += f"\n## Fuzzed models\n{BEGIN}\n{END}\n"
    head, rest = doc.split(BEGIN, 1)
    path.write_text(f"{head}{BEGIN}\n{text}{END}{rest.split(END, 1)[1]}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli-every", type=int, default=100, help="also run every Nth case through the CLI (0: never)")
    parser.add_argument("--jobs", type=int, default=2, help="CLI child processes at once")
    parser.add_argument("--write", type=Path, help="update the fuzz section of this markdown file")
    args = parser.parse_args(argv)
    report = fuzz(args.cases, seed=args.seed, cli_every=args.cli_every, jobs=args.jobs)
    text = render_markdown(report, argv)
    print(text)
    if args.write:
        write_section(args.write, text)
    return 1 if report.crashes or report.cli_problems else 0


if __name__ == "__main__":
    sys.exit(main())
