"""What `edgetk compare` does, as one library call: pick the old side (a file, a baseline, or the same
source converted with TOCO in a scratch directory), then ``compare_models``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from toolkit.errors import BadInputError
from toolkit.report.compare import Comparison, compare_models


def compare_with_old(new: Path, *, old: Path | None = None, baseline: Path | None = None,
                     legacy_from: str | None = None, **options: Any) -> Comparison:
    """Compare ``new`` with exactly one of ``old``, ``baseline`` or ``legacy_from`` (a source TOCO converts;
    TOCO refusing it is a finding of the comparison). ``options`` are ``compare_models``' keywords."""
    given = [x for x in (old, baseline, legacy_from) if x]
    if len(given) != 1:
        raise BadInputError("compare needs exactly one of: OLD, --baseline OLD.tflite, --legacy-from SOURCE")
    if not legacy_from:
        return compare_models(new, given[0], **options)
    from toolkit.convert.legacy import convert_legacy

    with tempfile.TemporaryDirectory(prefix="edgetk-compare-") as tmp:
        return compare_models(new, convert_legacy(legacy_from, Path(tmp) / "toco.tflite"), **options)
