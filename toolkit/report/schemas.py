"""Every JSON document edgetk prints or writes: its schema name and the file that documents it.

Each `--json` output is an object whose first key is ``"schema"`` (``edgetk.<name>/<major>``); fields are only
added within a major version. tests/cli/test_json_schemas.py runs every `--json` command and checks that its
schema is listed here and documented in the named file.
"""

from __future__ import annotations

from typing import Any

#: schema name -> (command that prints it, document under docs/schemas/)
SCHEMAS: dict[str, tuple[str, str]] = {
    "edgetk.inspect/1": ("inspect --json", "inspect.md"),
    "edgetk.check/1": ("check --json", "check.md"),
    "edgetk.convert/1": ("convert --json / --report", "convert.md"),
    "edgetk.bench/1": ("bench --json", "bench.md"),
    "edgetk.runner/1": ("the device-side runner's stdout", "runner.md"),
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
        raise KeyError(f"unregistered JSON schema {schema!r}: add it to toolkit/report/schemas.py and docs/schemas/")
    return {"schema": body.get("schema", schema), **{k: v for k, v in body.items() if k != "schema"}}
