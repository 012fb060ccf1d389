"""Where edgetk keeps its files: the user's data/cache/config dirs (platformdirs), overridable by env vars.

EDGETK_HOME puts everything under one directory (tests use it to stay hermetic).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs


def _home(sub: str, default: str) -> Path:
    base = os.environ.get("EDGETK_HOME")
    path = Path(base) / sub if base else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Results store and other durable user data."""
    return _home("data", platformdirs.user_data_dir("edgetk"))


def cache_dir() -> Path:
    """Emulator images, downloaded wheels, the legacy converter environment: safe to delete.

    EDGETK_CACHE wins over EDGETK_HOME so hermetic tests can still share expensive cached images.
    """
    explicit = os.environ.get("EDGETK_CACHE")
    if explicit:
        path = Path(explicit)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return _home("cache", platformdirs.user_cache_dir("edgetk"))


def config_dir() -> Path:
    """User-level devices.toml and extra target descriptors."""
    return _home("config", platformdirs.user_config_dir("edgetk"))


def shipped_targets_dir() -> Path:
    """Target descriptors and probed op-support tables shipped with edgetk (package data, read-only).

    Read through importlib.resources, so an installed wheel or sdist finds its own copy. In the checkout
    ``toolkit/targets/shipped/`` is the one real directory that holds them (no symlink, no copy elsewhere).
    """
    return Path(str(resources.files("toolkit") / "targets" / "shipped"))


def user_optables_dir() -> Path:
    """Where `edgetk targets probe` writes by default; read before the shipped tables."""
    return config_dir() / "targets" / "optables"
