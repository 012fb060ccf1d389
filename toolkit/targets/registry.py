"""Loading target descriptors: shipped targets/*.toml, then user dirs, merged through `extends`.

Search order (later wins on equal names): the shipped targets dir, ``config_dir()/targets``, every dir in
EDGETK_TARGETS_PATH (os.pathsep separated), then ``extra_dirs``. Every error names the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from toolkit.errors import DescriptorError, UnknownNameError
from toolkit.paths import config_dir, shipped_targets_dir
from toolkit.targets.schema import TargetDescriptor


def target_dirs(extra_dirs: Iterable[str | Path] = ()) -> list[Path]:
    """The directories descriptors are read from, in override order."""
    dirs = [shipped_targets_dir(), config_dir() / "targets"]
    env = os.environ.get("EDGETK_TARGETS_PATH", "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += [Path(p) for p in extra_dirs]
    return dirs


@dataclass(frozen=True)
class _RawDescriptor:
    name: str
    file: Path
    data: dict[str, Any]


@dataclass
class TargetRegistry:
    """All known targets by name, validated and with `extends` resolved."""

    targets: dict[str, TargetDescriptor] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted(self.targets)

    def get(self, name: str) -> TargetDescriptor:
        try:
            return self.targets[name]
        except KeyError:
            raise UnknownNameError("target", name, self.names()) from None

    def all(self) -> list[TargetDescriptor]:
        return [self.targets[n] for n in self.names()]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML files must be UTF-8
        raise DescriptorError(path, None, f"invalid TOML ({exc})") from None
    except RecursionError:
        raise DescriptorError(path, None, "invalid TOML (nested too deeply)") from None
    except OSError as exc:
        raise DescriptorError(path, None, f"cannot read ({exc.strerror})") from None


def _collect(dirs: Iterable[Path]) -> dict[str, _RawDescriptor]:
    raw: dict[str, _RawDescriptor] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            data = _read_toml(path)
            name = data.get("name", path.stem)
            if not isinstance(name, str) or not name:
                raise DescriptorError(path, "name", "must be a non-empty string")
            raw[name] = _RawDescriptor(name, path, data)
    return raw


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; everything else (lists included) is replaced by the overriding value."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


MAX_EXTENDS_DEPTH = 32  # far beyond any real variant tree; keeps the recursion bounded


def _resolve(name: str, raw: dict[str, _RawDescriptor], chain: tuple[str, ...] = ()) -> dict[str, Any]:
    entry = raw[name]
    if name in chain:
        cycle = " -> ".join((*chain[chain.index(name):], name))
        raise DescriptorError(entry.file, "extends", f"extends cycle: {cycle}")
    parent = entry.data.get("extends")
    if parent is None:
        return dict(entry.data)
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise DescriptorError(entry.file, "extends", f"extends chain deeper than {MAX_EXTENDS_DEPTH} "
                              f"({' -> '.join(chain[:3])} -> ...); flatten the descriptors")
    if not isinstance(parent, str):
        raise DescriptorError(entry.file, "extends", "must be a target name (string)")
    if parent not in raw:
        raise DescriptorError(entry.file, "extends", f"unknown target '{parent}' (known: {', '.join(sorted(raw))})")
    base = _resolve(parent, raw, (*chain, name))
    base = {k: v for k, v in base.items() if k not in ("name", "extends")}
    return deep_merge(base, entry.data)


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


def _validate(entry: _RawDescriptor, data: dict[str, Any]) -> TargetDescriptor:
    data = {**data, "name": entry.name, "source_file": str(entry.file)}
    try:
        return TargetDescriptor.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _dotted(first["loc"])
        detail = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        if first["type"] != "extra_forbidden" and "input" in first and not isinstance(first["input"], dict):
            detail += f" (got {first['input']!r})"
        raise DescriptorError(entry.file, key, detail) from None


def load_registry(extra_dirs: Iterable[str | Path] = ()) -> TargetRegistry:
    """Read, merge (`extends`) and validate every descriptor; the first invalid one raises DescriptorError."""
    raw = _collect(target_dirs(extra_dirs))
    registry = TargetRegistry()
    for name in sorted(raw):
        registry.targets[name] = _validate(raw[name], _resolve(name, raw))
    return registry
