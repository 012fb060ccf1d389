"""The performance suite's bookkeeping: spreads, ratios, the markdown it writes, and section merging.

No timing is asserted (figures live in docs/PERFORMANCE.md, not in tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.harness import (
    Row,
    Sample,
    Section,
    Spread,
    not_measured,
    ratio_spread,
    render_rows,
    run_child,
)
from benchmarks.run import existing_sections, render_section, write


def test_spread_reports_min_median_max() -> None:
    s = Spread((0.3, 0.1, 0.2, 0.9))
    assert (s.min, s.median, s.max) == (0.1, 0.25, 0.9)
    assert s.fmt("ms", 1000, 1) == "100.0 / 250.0 / 900.0 ms"


def test_ratio_is_median_over_median_and_per_round_ratios_pair_samples() -> None:
    row = Row("P0", "x", Spread((1.0, 2.0, 3.0)), Spread((4.0, 8.0, 100.0)))
    assert row.ratio == 0.25
    assert Row("P0", "x", Spread((1.0,))).ratio is None
    per_round = ratio_spread([Sample(1.0, 0), Sample(3.0, 0)], [Sample(2.0, 0), Sample(2.0, 0)])
    assert per_round.values == (0.5, 1.5)


def test_rendered_table_shows_units_verdict_and_not_measured_reason() -> None:
    rows = [Row("P1", "check", Spread((0.4, 0.5, 0.6)), Spread((4.0, 5.0, 6.0)), "analyzer", goal="≤ 0.6 s", met=True),
            Row("P2", "rss", Spread((100.0, 102.0, 104.0)), None, unit="MB", met=False),
            not_measured("P9", "fleet", "no devices")]
    text = render_rows(rows)
    lines = text.splitlines()
    assert lines[2] == ("| P1 | check | 400 / 500 / 600 ms | analyzer | 4.00 / 5.00 / 6.00 s | 0.10× "
                        "| ≤ 0.6 s | yes |")
    assert "| 100 / 102 / 104 MB |" in lines[3] and lines[3].endswith("| **no** |")
    assert lines[4] == "| P9 | fleet — not measured: no devices | — | — | — | — | — | — |"


def test_write_replaces_only_the_remeasured_sections_and_rebuilds_the_summary(tmp_path: Path) -> None:
    doc = tmp_path / "PERF.md"
    facts = {"cores": "2"}
    first = {fig: render_section(Section(fig, f"title {fig}", [Row(fig, f"old {fig}", Spread((1.0,)))]), "cmd", facts, 1)
             for fig in ("P1", "P2")}
    write(doc, first)
    write(doc, {"P2": render_section(Section("P2", "title P2", [Row("P2", "new P2", Spread((2.0,)))]), "cmd2", facts, 1)})
    text = doc.read_text()
    assert set(existing_sections(doc)) == {"P1", "P2"}
    assert "old P1" in text and "new P2" in text and "old P2" not in text
    summary = text.split("## Summary", 1)[1].split("<!-- section:", 1)[0]
    assert [line.split("|")[2].strip() for line in summary.splitlines() if line.startswith("| P")] == ["old P1", "new P2"]
    assert text.index("section:P1") < text.index("section:P2")


def test_run_child_measures_a_real_child_and_reports_failures(tmp_path: Path) -> None:
    s = run_child([sys.executable, "-c", "print('hi'); x = bytearray(50_000_000)"])
    assert s.stdout == "hi\n" and s.peak_rss_mb > 50 and s.seconds > 0
    try:
        run_child([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    except RuntimeError as exc:
        assert "(3)" in str(exc) and "boom" in str(exc)
    else:
        raise AssertionError("exit code 3 was accepted")
