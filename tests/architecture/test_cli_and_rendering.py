"""The CLI parses, calls one library function per verb and renders; rendering has one home (toolkit/report/).

Enforced on the source (every import counts, the lazy ones too):
- no ``print()`` and no ``rich`` outside toolkit/cli/ and toolkit/report/, except the child programs whose
  stdout IS their protocol and the one byte-level upload bar named below;
- toolkit/cli/ imports from the library only the entry points listed here: a new one is a decision (is it
  one call per verb, or orchestration that belongs in the library?), not an accident;
- every function in toolkit/cli/ is short once its typer signature and docstring are set aside.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

TOOLKIT = Path(__file__).resolve().parents[2] / "toolkit"
RENDERING_HOMES = ("cli", "report")

# Programs run as child processes: their stdout (or stderr stage lines) is the protocol the parent reads.
PROTOCOL_PRINTERS = {
    "runtimes/runner.py",  # the device-side runner: one JSON document on stdout
    "runtimes/gpu_child.py",  # LiteRT's GPU accelerator child: JSON on stdout
    "targets/probe_child.py",  # the op-support probe child: JSON lines
    "convert/worker.py",  # the TensorFlow worker: stage markers on stderr
    "convert/numcheck.py",  # the numerics-check child: JSON on stdout
    "schemas.py",  # `python -m toolkit.schemas` (make docs): "wrote PATH" per generated schema
}
# A transfer's byte progress, drawn while paramiko's callback runs inside SshTransport.put.
RICH_OUTSIDE_HOMES = {"transports/ssh.py"}

# What the CLI may call in the library (module -> names); toolkit.report/cli and the shared helpers below are
# always allowed.
ENTRY_POINTS = {
    "toolkit.bench": {"BenchOptions", "ResultsStore"},
    "toolkit.bench.bench_run": {"BenchRequest", "run_bench"},
    "toolkit.bench.history": {"latency_trend", "parse_since"},
    "toolkit.convert": {"ConvertOptions", "ConverterFailed"},
    "toolkit.convert.convert_run": {"ConvertRun", "run_convert"},
    "toolkit.convert.legacy": {"LegacyOptions", "convert_legacy", "legacy_env_status", "setup_legacy_env"},
    "toolkit.devices": {"add_device", "check_device", "load_inventory"},
    "toolkit.devices.android": {"BASE_URL", "TOOLS", "download_benchmark_model"},
    "toolkit.devices.check_run": {"CheckRequest", "run_check"},
    "toolkit.devices.deploy": {"deploy_model"},
    "toolkit.emulator": {"build_image", "image_spec", "list_images", "remove_image", "resolve_names"},
    "toolkit.model": {"load_model"},
    "toolkit.model.cost": {"estimate_cost"},
    "toolkit.model.inspect_document": {"inspect_document"},
    "toolkit.targets": {"load_registry"},
    "toolkit.targets.docs": {"supported_ops_markdown"},
    "toolkit.targets.gpu_probe": {"probe_gpu", "write_gpu_table"},
    "toolkit.targets.probe": {"probe_runtimes"},
}
SHARED = ("toolkit.cli", "toolkit.report", "toolkit.errors", "toolkit.schemas", "toolkit.fileio", "toolkit.paths",
          "toolkit.text", "toolkit.children", "toolkit.__version__")
MAX_CLI_FUNCTION_LINES = 35  # body lines, without the docstring and nested command functions


@cache
def _sources() -> dict[str, ast.Module]:
    return {p.relative_to(TOOLKIT).as_posix(): ast.parse(p.read_text()) for p in sorted(TOOLKIT.rglob("*.py"))}


def _imported(node: ast.AST) -> list[tuple[str, str | None]]:
    if isinstance(node, ast.Import):
        return [(a.name, None) for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [(node.module, a.name) for a in node.names]
    return []


def _outside_homes(rel: str) -> bool:
    return rel.split("/")[0] not in RENDERING_HOMES


def test_no_print_outside_cli_and_report() -> None:
    found = [f"{rel}:{node.lineno}" for rel, tree in _sources().items()
             if _outside_homes(rel) and rel not in PROTOCOL_PRINTERS
             for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]
    assert not found, f"the library prints (return a result, or report progress through a callback): {found}"


def test_no_rich_outside_cli_and_report() -> None:
    found = [f"{rel}:{node.lineno} {module}" for rel, tree in _sources().items()
             if _outside_homes(rel) and rel not in RICH_OUTSIDE_HOMES
             for node in ast.walk(tree) for module, _ in _imported(node) if module.split(".")[0] == "rich"]
    assert not found, f"terminal rendering outside toolkit/report/: {found}"


def test_the_allow_lists_name_files_that_still_need_them() -> None:
    """An exception nobody needs any more is removed, not kept as a hole."""
    sources = _sources()
    for rel in PROTOCOL_PRINTERS:
        assert any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
                   for n in ast.walk(sources[rel])), rel
    for rel in RICH_OUTSIDE_HOMES:
        assert any(m.startswith("rich") for n in ast.walk(sources[rel]) for m, _ in _imported(n)), rel


def test_cli_calls_only_listed_library_entry_points() -> None:
    used: dict[str, set[str]] = {}
    stray = []
    for rel, tree in _sources().items():
        if not rel.startswith("cli/"):
            continue
        for node in ast.walk(tree):
            for module, name in _imported(node):
                if not module.startswith("toolkit") or module.startswith(SHARED) or module in SHARED:
                    continue
                if f"{module}.{name}" in SHARED:
                    continue
                used.setdefault(module, set()).add(name or "*")
                if name not in ENTRY_POINTS.get(module, set()):
                    stray.append(f"{rel}:{node.lineno} {module}.{name}")
    assert not stray, f"the CLI reaches past the library's entry points (add one to the library): {stray}"
    assert used == ENTRY_POINTS, "ENTRY_POINTS lists names the CLI no longer uses: keep the list exact"


def _body_lines(fn: ast.FunctionDef) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    lines: set[int] = set()
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef):
            continue  # a command registered inside register() is measured on its own
        lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return len(lines)


def test_every_cli_function_is_short() -> None:
    sizes = {f"{rel}:{fn.name}": _body_lines(fn) for rel, tree in _sources().items() if rel.startswith("cli/")
             for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)}
    assert sizes["cli/bench.py:bench"] > 5  # the walker measures the verbs themselves
    long = {name: n for name, n in sizes.items() if n > MAX_CLI_FUNCTION_LINES}
    assert not long, f"CLI functions that orchestrate (move the logic into a library function): {long}"


def test_the_checks_see_real_violations(tmp_path: Path) -> None:
    """The walkers find a print, a rich import and a long function when there is one (the tests can fail)."""
    tree = ast.parse("from rich.console import Console\ndef f():\n    print(1)\n" + "    x = 1\n" * 50)
    assert [m for n in ast.walk(tree) for m, _ in _imported(n)] == ["rich.console"]
    assert any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print" for n in ast.walk(tree))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    assert _body_lines(fn) == 51 > MAX_CLI_FUNCTION_LINES
