"""`edgetk devices list|check` as text: the inventory table, a device's facts with install hints."""

from __future__ import annotations

from typing import Any

from toolkit.report.columns import print_text, table_lines, terminal_width
from toolkit.text import inert


def describe_where(dev: Any) -> str:
    """Where an inventory entry is reached, in a few words."""
    if dev.transport == "ssh":
        where = f"{dev.user}@{dev.host}" if dev.user else dev.host
        return f"{where}:{dev.port}" if dev.port else where
    if dev.transport == "adb":
        return f"serial {dev.serial}" if dev.serial else "the only adb device"
    if dev.transport == "emulator":
        return f"image {dev.image}" if dev.image else "target's image"
    return "this machine"


def print_inventory(inv: Any) -> None:
    """`devices list`: one row per device (an Inventory), or how to add the first one."""
    if not inv.devices:
        print_text([f"no devices in {inv.path} (add one with `edgetk devices add`)"])
        return
    rows = [[name, inv.devices[name].target, inv.devices[name].transport, describe_where(inv.devices[name])]
            for name in inv.names()]
    print_text([f"devices in {inv.path}:",
                *table_lines(["name", "target", "transport", "where"], rows, terminal_width(), indent="  ")])


def facts_lines(name: str, facts: Any) -> list[str]:
    """`devices check`: arch, OS, Python, runtimes and the bench path, then one line per install hint."""
    runtimes = ", ".join(f"{k} {v}" for k, v in facts.runtimes.items() if v) or "none"
    if facts.path == "benchmark_model":
        found = "found" if facts.binary_found else "MISSING"
        diff = ("not set" if facts.inference_diff_binary is None else
                f"{facts.inference_diff_binary}: {'found' if facts.inference_diff_found else 'MISSING'}")
        lines = [f"{name}: {facts.arch}, {facts.os}; bench path: benchmark_model "
                 f"({facts.benchmark_binary}: {found}; no Python needed)",
                 f"  GPU numerics: inference_diff ({diff})"]
    else:
        lines = [f"{name}: {facts.arch}, {facts.os}, Python {facts.python or 'missing'}, "
                 f"numpy {facts.numpy or 'missing'}, runtimes: {runtimes}; bench path: python-runner"]
    return [inert(line) for line in [*lines, *(f"  hint: {hint}" for hint in facts.hints)]]  # what the device said
