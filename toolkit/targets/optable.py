"""Probed op-support tables (shipped/optables/<runtime>.json), parsed once per process and cached.

A table says, for one runtime build, which builtin ops have a kernel, which versions of each, and which
(op, dtype) pairs the kernel rejected when a valid model was run. It is data written by `edgetk targets
probe`, never typed in by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from toolkit.errors import DescriptorError
from toolkit.paths import shipped_targets_dir, user_optables_dir


@dataclass(frozen=True)
class OpSupportTable:
    path: Path
    runtime: str
    version: str
    probe_date: str
    version_cap: int
    ops: dict[str, dict[str, Any]]
    dtypes: dict[str, dict[str, Any]]
    custom_ops: dict[str, dict[str, Any]] = field(default_factory=dict)
    constraints: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def has_kernel(self, op: str) -> bool | None:
        """True/False when probed; None for an op name the table does not know (newer schema)."""
        entry = self.ops.get(op)
        return None if entry is None else entry.get("status") == "present"

    def max_version(self, op: str) -> int | None:
        """Highest probed version, or None when any version works (the probe hit its cap)."""
        entry = self.ops.get(op) or {}
        if entry.get("capped") or not entry.get("versions"):
            return None
        return max(entry["versions"])

    def supports_version(self, op: str, version: int) -> bool:
        entry = self.ops.get(op) or {}
        return bool(entry.get("capped")) or version in entry.get("versions", [])

    def rejected_dtype(self, op: str, dtype: str) -> str | None:
        """The runtime's own error text when it rejected `op` with `dtype` input, else None."""
        return (self.dtypes.get(op) or {}).get("rejected", {}).get(dtype)

    def custom_op_registered(self, name: str) -> bool | None:
        """True/False when the probe ran the custom op by name; None for a name it did not probe."""
        entry = self.custom_ops.get(name)
        return None if entry is None else entry.get("status") == "registered"

    def rejected_variant(self, op: str, feature: str, value: str) -> str | None:
        """The runtime's own error text when it rejected `op` with `feature` = `value` (constraints probe)."""
        detail = ((self.constraints.get(op) or {}).get(feature) or {}).get(value)
        return None if detail in (None, "ok") else detail

    def supported_ops(self) -> list[str]:
        return sorted(n for n, e in self.ops.items() if e.get("status") == "present")


def table_path(file_name: str, descriptor_file: str | None = None) -> Path:
    """A descriptor's op_table: next to the descriptor (its optables/ dir) first, then the tables the user
    probed (`edgetk targets probe` writes to the user config dir), then the shipped tables."""
    candidates = [Path(descriptor_file).parent / "optables"] if descriptor_file else []
    for directory in [*candidates, user_optables_dir()]:
        if (directory / file_name).is_file():
            return directory / file_name
    return shipped_targets_dir() / "optables" / file_name


@cache
def load_op_table(path: Path) -> OpSupportTable:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise DescriptorError(path, None, "op-support table missing: run `edgetk targets probe`") from None
    except (OSError, ValueError) as exc:
        raise DescriptorError(path, None, f"unreadable op-support table ({exc})") from None
    try:
        return OpSupportTable(
            path=path,
            runtime=raw["runtime"]["name"],
            version=raw["runtime"]["version"],
            probe_date=raw.get("probe_date", "unknown"),
            version_cap=int(raw.get("version_cap", 0)),
            ops=raw["ops"],
            dtypes=raw.get("dtypes", {}),
            custom_ops=raw.get("custom_ops", {}),
            constraints=raw.get("constraints", {}),
        )
    except (KeyError, TypeError) as exc:
        raise DescriptorError(path, str(exc), "op-support table is missing this field") from None
