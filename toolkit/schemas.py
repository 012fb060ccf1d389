"""JSON Schemas of edgetk's output documents, generated from their typed models (`make docs`).

    python -m toolkit.schemas docs/schemas      # writes <name>.schema.json for every document below

A test regenerates them and fails when the committed files differ, so the schema files cannot drift from
the models, and the models are validated against real output elsewhere (tests/runtimes, tests/bench).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

#: file stem -> (module, model class). Documents still written by hand-made dicts are described in
#: docs/schemas/*.md only (check, compare, convert, inspect).
DOCUMENTS: dict[str, tuple[str, str]] = {
    "runner": ("toolkit.runtimes.documents", "RunnerDocument"),
    "runner-error": ("toolkit.runtimes.documents", "RunnerErrorDocument"),
    "bench": ("toolkit.bench.documents", "BenchDocument"),
}


def json_schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for stem, (module, name) in DOCUMENTS.items():
        model = getattr(importlib.import_module(module), name)
        schema = model.model_json_schema(by_alias=True)
        out[stem] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                     "$id": f"https://edgetk.invalid/schemas/{stem}.schema.json", **schema}
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def write_schemas(out_dir: Path) -> list[Path]:
    from toolkit.fileio import write_text

    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_text(out_dir / f"{stem}.schema.json", render(schema)) for stem, schema in json_schemas().items()]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("docs/schemas")
    for path in write_schemas(out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
