"""JSON Schemas of edgetk's output documents, generated from their typed models (`make docs`).

    python -m toolkit.schemas docs/schemas      # writes <name>.schema.json for every document below

A test regenerates them and fails when the committed files differ, so the schema files cannot drift from
the models, and the models are validated against real output elsewhere (tests/runtimes, tests/bench).

``SCHEMAS`` names every JSON document edgetk prints or writes (``"schema"`` is each one's first key) and the
docs/schemas/ file that documents it; tests/cli/test_json_schemas.py runs every `--json` command against it.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

#: file stem -> (module, model class): every document `report` reads, and the runner's and inspect's.
DOCUMENTS: dict[str, tuple[str, str]] = {
    "runner": ("toolkit.runtimes.documents", "RunnerDocument"),
    "runner-error": ("toolkit.runtimes.documents", "RunnerErrorDocument"),
    "runner-batch": ("toolkit.runtimes.documents", "RunnerBatchDocument"),
    "bench": ("toolkit.bench.documents", "BenchDocument"),
    "check": ("toolkit.targets.documents", "CheckDocument"),
    "compare": ("toolkit.report.documents", "CompareDocument"),
    "convert": ("toolkit.convert.documents", "ConvertDocument"),
    "inspect": ("toolkit.model.documents", "InspectDocument"),
    "inspect-ops": ("toolkit.model.documents", "InspectOpsDocument"),
}


#: schema name -> (command that prints it, document under docs/schemas/)
SCHEMAS: dict[str, tuple[str, str]] = {
    "edgetk.inspect/1": ("inspect --json", "inspect.md"),
    "edgetk.check/1": ("check --json", "check.md"),
    "edgetk.convert/1": ("convert --json / --report", "convert.md"),
    "edgetk.bench/1": ("bench --json", "bench.md"),
    "edgetk.runner/2": ("the device-side runner's stdout", "runner.md"),
    "edgetk.compare/1": ("compare --json", "compare.md"),
    "edgetk.results-list/2": ("results list --json", "results.md"),
    "edgetk.result/1": ("results show", "results.md"),
    "edgetk.results/2": ("results export --format json", "results.md"),
    "edgetk.results-trend/1": ("results trend --json", "results.md"),
    "edgetk.targets/1": ("targets list --json", "targets.md"),
    "edgetk.target/1": ("targets show --json", "targets.md"),
    "edgetk.devices/1": ("devices list --json", "devices.md"),
    "edgetk.device-facts/1": ("devices check --json", "devices.md"),
    "edgetk.deploy/1": ("deploy --json", "devices.md"),
    "edgetk.emulator-images/1": ("emulator list --json", "tools.md"),
    "edgetk.legacy-status/1": ("legacy status --json", "tools.md"),
    "edgetk.legacy-convert/1": ("legacy convert --json / convert --legacy --json", "tools.md"),
}


def document(schema: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with ``"schema"`` as its first key (a registered name; a body's own schema wins)."""
    if schema not in SCHEMAS:
        raise KeyError(f"unregistered JSON schema {schema!r}: add it to toolkit/schemas.py and docs/schemas/")
    return {"schema": body.get("schema", schema), **{k: v for k, v in body.items() if k != "schema"}}


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
