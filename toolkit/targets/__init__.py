"""Targets: descriptor schema and registry, measured op-support tables, compatibility rules, `check_model`.

Importing this package is cheap (no runtime, no TensorFlow); op tables are parsed on first use and cached.
"""

from toolkit.targets.check import CheckReport, TargetVerdict, check_model
from toolkit.targets.finding import Finding
from toolkit.targets.registry import TargetRegistry, load_registry
from toolkit.targets.schema import TargetDescriptor

__all__ = ["CheckReport", "Finding", "TargetDescriptor", "TargetRegistry", "TargetVerdict", "check_model", "load_registry"]
