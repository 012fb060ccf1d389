"""The regression rules on hand-built numbers: latency noise, support changes, tolerances, overall verdict."""

from __future__ import annotations

import numpy as np

from toolkit.report.verdicts import (
    LatencyStats,
    latency_verdict,
    overall_verdict,
    support_change,
    within_tolerance,
)


def test_slower_needs_ratio_and_no_overlap() -> None:
    old = LatencyStats((10.0, 10.2, 10.1, 9.9))
    new = LatencyStats((12.0, 12.3, 12.1, 12.2))
    verdict, ratio = latency_verdict(new, old, threshold=0.1)
    assert verdict == "slower"
    assert abs(ratio - 12.15 / 10.05) < 1e-9


def test_big_median_ratio_with_overlapping_rounds_is_noise() -> None:
    old = LatencyStats((10.0, 10.0, 10.0, 14.0))  # one noisy old round reaches into the new range
    new = LatencyStats((12.0, 12.5, 13.0, 12.2))
    verdict, ratio = latency_verdict(new, old, threshold=0.1)
    assert ratio > 1.2
    assert verdict == "same"


def test_small_slowdown_below_threshold_is_same() -> None:
    old = LatencyStats((10.0, 10.0, 10.0))
    new = LatencyStats((10.5, 10.5, 10.6))  # consistently 5% slower, under a 10% threshold
    assert latency_verdict(new, old, 0.1)[0] == "same"
    assert latency_verdict(new, old, 0.02)[0] == "slower"


def test_a_difference_below_timer_resolution_is_never_a_verdict() -> None:
    """The flake this fixes: a 1-op model at 0.001 ms "x1.29 slower" on a loaded host."""
    old = LatencyStats((0.0010, 0.0011))
    new = LatencyStats((0.0014, 0.0015))
    assert latency_verdict(new, old, 0.1) == ("same", latency_verdict(new, old, 0.1)[1])
    assert latency_verdict(new, old, 0.1, min_diff_ms=0.0)[0] == "slower"


def test_faster_is_the_mirror_image() -> None:
    old = LatencyStats((20.0, 21.0, 20.5))
    new = LatencyStats((10.0, 10.4, 10.2))
    verdict, ratio = latency_verdict(new, old, 0.1)
    assert verdict == "faster"
    assert ratio < 0.6


def test_support_changes() -> None:
    assert support_change("does-not-run", "runs") == "regression"
    assert support_change("does-not-run", "delegate-fallback") == "regression"
    assert support_change("runs", "does-not-run") == "improvement"
    assert support_change("runs", "not-converted") == "improvement"
    assert support_change("delegate-fallback", "runs") == "unchanged"
    assert support_change("does-not-run", "does-not-run") == "unchanged"
    assert support_change("runs", None) == "no-baseline"


def test_tolerance_is_elementwise_allclose() -> None:
    expected = np.array([1000.0, 0.0])
    assert within_tolerance(np.array([1000.5, 0.0]), expected, atol=1e-4, rtol=1e-3)
    # the same 0.5 error on the element near zero is far outside tolerance
    assert not within_tolerance(np.array([1000.0, 0.5]), expected, atol=1e-4, rtol=1e-3)


def test_overall_verdict() -> None:
    assert overall_verdict([{"severity": "info"}, {"severity": "improvement"}]) == "pass"
    assert overall_verdict([{"severity": "warning"}, {"severity": "regression"}]) == "regression"
    assert overall_verdict([]) == "pass"
