"""`targets show` at 80 columns: it printed one JSON object per line, up to 140 columns for rpi4-arm64."""

from __future__ import annotations

from toolkit.report.target_text import target_lines
from toolkit.targets import load_registry


def test_every_shipped_target_shows_within_80_columns_with_each_field_named() -> None:
    registry = load_registry()
    for name in registry.names():
        target = registry.get(name)
        lines = target_lines(target.name, target.title, str(target.source_file), target.model_dump(mode="json"), 80)
        assert max(map(len, lines)) <= 80, (name, [ln for ln in lines if len(ln) > 80])
        assert f'runtime.version: "{target.runtime.version}"' in lines, name
        assert f"memory.ram_bytes: {target.memory.ram_bytes}" in lines or target.memory.ram_bytes is None


def test_nested_lists_are_numbered_and_text_stays_inert() -> None:
    doc = {"delegates": [{"name": "gpu", "note": "a\x1b[31mred"}], "dtypes": {"unsupported": [], "notes": ""}}
    lines = target_lines("t", "T", "/x.toml", doc, 80)
    assert lines == ["# t — T", "# from /x.toml", 'delegates[0].name: "gpu"', 'delegates[0].note: "a\\u001b[31mred"']


def test_a_long_descriptor_path_stays_whole() -> None:
    path = "/tmp/smoke-venv/lib/python3.11/site-packages/toolkit/targets/shipped/cortex-m4.toml"
    assert target_lines("t", "T", path, {}, 80) == ["# t — T", "# from", f"#   {path}"]
