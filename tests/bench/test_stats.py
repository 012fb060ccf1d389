"""Latency statistics and roofline helpers."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.bench.stats import roofline, roofline_block, stats_problems, summarize


def test_summarize_matches_numpy_percentiles() -> None:
    samples = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0]
    s = summarize(samples)
    assert (s.runs, s.min, s.max) == (6, 1.0, 10.0)
    assert s.mean == pytest.approx(25 / 6)
    assert s.p50 == pytest.approx(3.5)
    assert s.p90 == pytest.approx(np.percentile(samples, 90))
    assert s.std == pytest.approx(np.std(samples))
    assert s.min <= s.p50 <= s.p90 <= s.p99 <= s.max


def test_summarize_refuses_empty() -> None:
    with pytest.raises(ValueError):
        summarize([])


def test_stats_problems_flags_disorder_and_missing_keys() -> None:
    good = summarize([1.0, 2.0, 3.0]).to_dict()
    assert stats_problems(good) == []
    assert "percentiles out of order" in stats_problems(dict(good, p90=0.5))[0]
    assert stats_problems({"min": 1.0})[0].startswith("missing mean")


def test_roofline_efficiency() -> None:
    r = roofline(total_macs=1_000_000, clock_hz=1e9, macs_per_cycle=2.0, measured_ms=1.0)
    assert r.ideal_ms == pytest.approx(0.5)
    assert r.efficiency == pytest.approx(0.5)
    assert roofline(1_000_000, 1e9, 2.0, 1.0, cores=2).efficiency == pytest.approx(0.25)


def test_roofline_block_labels_the_latency_it_is_against() -> None:
    measured = roofline_block(roofline(1_000_000, 1e9, 2.0, 1.0), "measured")
    assert (measured["latency_ms"], measured["measured_ms"], measured["timing"]) == (1.0, 1.0, "measured")
    assert measured["efficiency"] == pytest.approx(0.5) and not measured["emulated"] and not measured["estimated"]
    assert roofline_block(roofline(1_000_000, 1e9, 2.0, 1.0), "emulated")["emulated"] is True
    est = roofline_block(roofline(1_000_000, 1.2e8, 0.5, 40.0), "estimated")
    assert est["estimated"] is True and est["timing"] == "estimated" and "measured_ms" not in est
    assert est["ideal_ms"] == pytest.approx(1e6 / 6e7 * 1e3) and est["efficiency"] == pytest.approx(est["ideal_ms"] / 40)
