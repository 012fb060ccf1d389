"""The demo's closing summary says where each verdict and figure came from, in 80 columns."""

from __future__ import annotations

from examples.demo import summary_lines


def test_each_verdict_says_where_it_came_from_and_a_long_figure_goes_on_its_own_line() -> None:
    check = {"results": [{"target": "android-arm64", "verdict": "delegate-fallback", "evidence": "static"},
                         {"target": "cortex-m4", "verdict": "runs", "evidence": "verified"},
                         {"target": "cortex-m7", "verdict": "runs"},
                         {"target": "esp32-s3", "verdict": "runs", "evidence": "verified"},
                         {"target": "host-x86_64", "verdict": "runs"}]}
    latency = {"cortex-m4": "p50 129.323 ms (estimated); runner 0.109 ms (host-run)",
               "host-x86_64": "p50 0.019 ms (measured)"}
    lines = summary_lines(check, latency)
    assert lines == ["  android-arm64    delegate-fallback (predicted)",
                     "  cortex-m4        runs (the bench ran it)",
                     "    p50 129.323 ms (estimated); runner 0.109 ms (host-run)",
                     "  cortex-m7        runs (predicted)",
                     "  esp32-s3         runs (verified)",
                     "  host-x86_64      runs (the bench ran it)        p50 0.019 ms (measured)"]
    assert all(len(line) <= 80 for line in lines)
