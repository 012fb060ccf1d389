"""toolkit's import graph: no cycles, and the layers import only downwards.

Every import counts, also the lazy ones inside functions (they run too), and importing a submodule counts as
importing its package from outside it (Python runs the package's ``__init__`` first). Layers, lowest first:
model -> targets -> transports -> runtimes (the runner protocol) -> {bench, devices} -> report -> cli.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

TOOLKIT = Path(__file__).resolve().parents[2] / "toolkit"

# package -> packages it must never import (directly or lazily)
FORBIDDEN = {
    "model": {"targets", "transports", "runtimes", "bench", "devices", "report", "cli", "convert"},
    "targets": {"transports", "runtimes", "bench", "devices", "report", "cli"},
    "transports": {"runtimes", "bench", "devices", "report", "cli"},
    "runtimes": {"bench", "devices", "report", "cli"},
    "bench": {"report", "cli"},
    "devices": {"bench", "report", "cli"},
    "report": {"cli"},
}
# targets/ modules that run the real runtimes (the op-support probes, `check --verify`) sit at the runtimes
# level, whatever their directory; the provenance labels are plain constants every layer may name.
RUNTIME_LEVEL = {"toolkit.targets.probe", "toolkit.targets.gpu_probe", "toolkit.targets.verify",
                 "toolkit.targets.verify_gpu"}
SHARED_VOCABULARY = {"toolkit.provenance"}
# No known violation: any fails (the provenance labels live in toolkit/provenance.py, below every layer).
KNOWN_VIOLATIONS: set[str] = set()


def _modules() -> dict[str, Path]:
    mods = {}
    for path in TOOLKIT.rglob("*.py"):
        name = ".".join(path.relative_to(TOOLKIT.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names)
    edges = set()
    for target in found:
        while target and target not in mods:
            target = target.rpartition(".")[0]
        if not target.startswith("toolkit") or target == name:
            continue
        edges.add(target)
        parent = target.rpartition(".")[0]
        while parent not in ("", "toolkit") and not name.startswith(parent + ".") and name != parent:
            edges.add(parent)  # `import toolkit.devices.connect` runs toolkit/devices/__init__.py
            parent = parent.rpartition(".")[0]
    return edges


@cache
def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, mods) for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(module: str) -> str:
    if module in RUNTIME_LEVEL:
        return "runtimes"
    return module.split(".")[1] if module.count(".") else ""


def test_toolkit_has_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_import_only_downwards() -> None:
    wrong: list[str] = []
    for module, deps in _graph().items():
        for dep in deps - SHARED_VOCABULARY:
            if _layer(dep) in FORBIDDEN.get(_layer(module), ()) and f"{module} -> {dep}" not in KNOWN_VIOLATIONS:
                wrong.append(f"{module} -> {dep}")
    assert not wrong, wrong


def test_transports_know_nothing_of_the_device_inventory() -> None:
    graph = _graph()
    assert not {d for m, deps in graph.items() if m.startswith("toolkit.transports") for d in deps
                if d.startswith("toolkit.devices")}
