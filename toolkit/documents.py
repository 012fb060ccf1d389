"""The one strict base of edgetk's typed documents (every ``*/documents.py``) and of the files it reads
(target descriptors, devices.toml entries).

``Strict`` refuses unknown fields: a typo in a document a test builds, or a field the code forgot to declare,
is an error naming it (`report` reads older documents with ``extra="ignore"``, toolkit.report.inputs).
``Record`` is the same, immutable once made: the parts the library itself builds and hands around.
It sits below every layer (tests/architecture/test_layering.py), so model/, targets/, runtimes/, bench/,
convert/ and report/ share it without importing one another.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A document part: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Record(Strict):
    """A document part the library builds and passes around: unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def dump(model: BaseModel) -> dict[str, Any]:
    """A validated document as its JSON (only the fields it had)."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)
