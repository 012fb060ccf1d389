"""The one strict base of edgetk's typed documents (every ``*/documents.py``) and of the files it reads
(target descriptors, devices.toml entries).

``Strict`` refuses unknown fields: a typo in a document a test builds, or a field the code forgot to declare,
is an error naming it (`report` reads older documents with ``extra="ignore"``, toolkit.report.inputs).
``Record`` is the same, immutable once made: the parts the library itself builds and hands around.
``model_of`` generates a document model from a library dataclass, for the parts the library keeps as
dataclasses (hot-path objects): one declaration of each field either way.
It sits below every layer (tests/architecture/test_layering.py), so model/, targets/, runtimes/, bench/,
convert/ and report/ share it without importing one another.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Collection, Mapping
from dataclasses import MISSING, fields
from functools import reduce
from types import UnionType
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model


class Strict(BaseModel):
    """A document part: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def of(cls, record: Any) -> Self:
        """The document part of a library object, read by attribute (its fields and properties, by name)."""
        return cls.model_validate(record, from_attributes=True)


class Record(Strict):
    """A document part the library builds and passes around: unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def dump(model: BaseModel) -> dict[str, Any]:
    """A validated document as its JSON (only the fields it had)."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def model_of(record: type, *, name: str | None = None, doc: str | None = None, base: type[Strict] = Strict,
             omit: Collection[str] = (), types: Mapping[str, Any] | None = None,
             required: bool | Collection[str] = False, descriptions: bool = True,
             add: Mapping[str, tuple[Any, Any]] | None = None) -> type[Strict]:
    """The document model ``name`` (docstring ``doc``) of a library dataclass, so each field is declared once.

    It has the dataclass's fields in their order, types (a tuple as a list: a JSON array; ``types`` replaces
    one, e.g. a nested record by its model) and defaults, each described by its
    ``field(metadata={"description": ...})`` unless ``descriptions`` is False; then the fields ``add``
    declares (name: (type, Field)). ``required``: every field (True), or those named, must be in a
    document, default or not (a part always written whole).

    For library objects that stay dataclasses: hot-path ones (built per op, whose construction must not pay
    for validation) and ones carrying what the document leaves out. What the library builds rarely and
    whole can be the pydantic model itself (``Record``).
    """
    hints = get_type_hints(record)
    declared: dict[str, Any] = {}
    for f in fields(record):
        if f.name in omit:
            continue
        kw: dict[str, Any] = {}
        if descriptions and "description" in f.metadata:
            kw["description"] = f.metadata["description"]
        optional = not (required is True or (required is not False and f.name in required))
        if optional and f.default is not MISSING:
            kw["default"] = f.default
        elif optional and f.default_factory is not MISSING:
            kw["default_factory"] = f.default_factory
        declared[f.name] = ((types or {}).get(f.name, _as_json(hints[f.name])), Field(**kw))
    declared.update(add or {})
    module = sys._getframe(1).f_globals["__name__"]  # the generated class lives where it is declared
    return create_model(name or record.__name__, __base__=base, __doc__=doc, __module__=module, **declared)


def _as_json(tp: Any) -> Any:
    """A library type as its document type: ``tuple[X, ...]`` (immutable in memory) is ``list[X]`` (a JSON
    array, which strict validation does not take for a tuple), also inside ``| None``."""
    if get_origin(tp) is tuple and len(get_args(tp)) == 2 and get_args(tp)[1] is Ellipsis:
        return list[get_args(tp)[0]]  # type: ignore[valid-type]
    if get_origin(tp) in (Union, UnionType):
        return reduce(operator.or_, (_as_json(a) for a in get_args(tp)))
    return tp
