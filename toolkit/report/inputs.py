"""`report`'s inputs: JSON files of check / bench / compare / convert, each validated as a whole document.

A file is refused with one line naming the file and the first wrong field (exit 2) when it is not JSON, not
an edgetk document, of a schema version this edgetk does not read, or when any field has the wrong type or
value for its typed model (toolkit.*.documents). Validation is strict (no "3" for 3) so every renderer reads
the types the models promise; fields a newer edgetk added within the same major version are ignored, and
fields an older edgetk did not record yet are filled with "unknown" (toolkit.report.older_documents).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from toolkit import __version__
from toolkit.errors import BadInputError
from toolkit.report.older_documents import fill_unrecorded
from toolkit.text import inert

#: schema family -> (module, typed model, the command that writes it); the version read is the model's
FAMILIES: dict[str, tuple[str, str, str]] = {
    "edgetk.check": ("toolkit.targets.documents", "CheckDocument", "check --json"),
    "edgetk.bench": ("toolkit.bench.documents", "BenchDocument", "bench --json"),
    "edgetk.compare": ("toolkit.report.documents", "CompareDocument", "compare --json"),
    "edgetk.convert": ("toolkit.convert.documents", "ConvertDocument", "convert --report FILE"),
}
KNOWN_SCHEMAS = tuple(f"{family}/" for family in FAMILIES)


def document_model(family: str) -> type[BaseModel]:
    module, name, _command = FAMILIES[family]
    return getattr(importlib.import_module(module), name)


def schema_read(family: str) -> str:
    """The one version of ``family`` this edgetk reads: its model's ``schema`` literal."""
    return document_model(family).model_fields["schema_"].annotation.__args__[0]


def load_results(paths: list[str | Path]) -> list[dict]:
    """Read and validate results files; each dict gains ``"_file"`` (its path) for the page."""
    docs = []
    for path in map(Path, paths):
        doc = read_document(path)
        doc["_file"] = str(path)
        docs.append(doc)
    return docs


def read_document(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: not a readable JSON results file ({inert(str(exc))})") from None
    except RecursionError:
        raise BadInputError(f"{path}: not a results file (JSON nested too deeply)") from None
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith(KNOWN_SCHEMAS):
        shown = inert(repr(schema))[:80]
        raise BadInputError(f"{path}: unknown results schema {shown} (expected one of {', '.join(KNOWN_SCHEMAS)})")
    family = schema.partition("/")[0]
    expected, command = schema_read(family), FAMILIES[family][2]
    if schema != expected:
        raise BadInputError(f"{path}: {inert(schema)[:80]} documents are not read by edgetk {__version__} (it reads "
                            f"{expected}); re-run the command that wrote it with this edgetk, or use the edgetk "
                            "that wrote it")
    try:
        document_model(family).model_validate(doc, strict=True, extra="ignore")
    except ValidationError as exc:
        raise BadInputError(f"{path}: not a valid {schema} document: {describe(exc)}; re-create it with "
                            f"`edgetk {command}`") from None
    except RecursionError:
        raise BadInputError(f"{path}: not a results file (JSON nested too deeply)") from None
    return fill_unrecorded(doc)


def describe(exc: ValidationError) -> str:
    """The first error as ``field results[0].verdict: Input should be ...`` (+ how many more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = field_path(first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"field {inert(where)[:160]}: {inert(first['msg'])[:200]}{more}"


_TYPE_TAGS = {"int", "float", "str", "bool", "none", "list", "dict"}


def field_path(loc: tuple[int | str, ...]) -> str:
    """("results", 0, "verdict") -> "results[0].verdict"; union member tags (model or type names) left out."""
    tags = _TYPE_TAGS | {cls.__name__ for cls in _models(BaseModel)}
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in tags and not part.startswith(("list[", "dict[", "literal[", "function-")):
            out += f".{part}" if out else part
    return out or "(document)"


def _models(cls: type) -> set[type]:
    subs = set(cls.__subclasses__())
    return subs.union(*(_models(s) for s in subs))
