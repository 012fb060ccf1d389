"""`check --verify`: the real runtimes of this machine (LiteRT with and without XNNPACK, the x86 tflite-runtime
wheel, TFLM with the target's RAM as arena) are tried in child processes and their outcome is the verdict.

Nothing is mocked: every outcome below comes from a runtime that really loaded (or refused) the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.evidence_cases import ensure_cases
from toolkit.model import load_model
from toolkit.model.builder import ModelBuilder, endless_while_model, schema, while_model
from toolkit.targets import check_model, load_registry
from toolkit.targets.verify import VerifyOptions, tries_for, verify_report


def _verify(path: Path, targets: list[str], timeout: float = 20.0):  # noqa: ANN202 - a CheckReport
    registry = load_registry()
    descriptors = [registry.get(t) for t in targets]
    with load_model(path) as model:
        return verify_report(model, check_model(model, descriptors), descriptors, VerifyOptions(timeout=timeout))


def test_tries_cover_every_runtime_of_each_target_kind() -> None:
    registry = load_registry()
    keys = {name: [t.key for t in tries_for(registry.get(name))] for name in ("host-x86_64", "rpi4-arm64", "cortex-m4")}
    assert keys["host-x86_64"][:2] == ["litert", "litert-no-xnnpack"]
    assert keys["rpi4-arm64"] == ["tflite-runtime@debian12-arm64", "tflite-runtime"]
    assert keys["cortex-m4"] == ["tflm@655360"]  # the descriptor's RAM is the arena


@pytest.mark.slow  # the case is converted by TensorFlow once (cached)
def test_verify_turns_a_tflm_refusal_into_the_verdict_with_tflms_own_line() -> None:
    case = ensure_cases("convlstm2d")["convlstm2d"]
    report = _verify(case, ["cortex-m4", "host-x86_64"])
    m4, host = report.results
    assert (m4.verdict, m4.evidence) == ("does-not-run", "verified")
    [outcome] = m4.outcomes
    assert outcome.outcome == "does-not-run" and outcome.op == "STRIDED_SLICE"
    assert "input dim should not exceed 4" in outcome.message
    assert any(f.rule == "verified_does_not_run" and "input dim should not exceed 4" in f.message for f in m4.findings)
    assert (host.verdict, host.evidence) == ("runs", "verified")
    assert [o.outcome for o in host.outcomes] == ["runs", "runs"]  # with and without XNNPACK


def test_a_runtime_that_never_returns_is_a_hang_verdict_and_a_wrong_prediction(tmp_path: Path) -> None:
    model = tmp_path / "endless.tflite"
    model.write_bytes(endless_while_model())
    report = _verify(model, ["cortex-m4", "host-x86_64"], timeout=3.0)
    for r in report.results:
        assert r.predicted_verdict == "runs" and r.verdict == "does-not-run" and r.prediction_wrong
        primary = r.outcomes[0]
        assert primary.kind == "hung" and "did not return from invoke within 3 s" in primary.message
        assert any("(WHILE at subgraph 0 op 0)" in f.message for f in r.findings)
    assert [r.target for r in report.predictions_wrong] == ["cortex-m4", "host-x86_64"]


def test_measured_arena_replaces_the_estimate_under_verify(tmp_path: Path) -> None:
    model = tmp_path / "while.tflite"
    model.write_bytes(while_model())
    [r] = _verify(model, ["cortex-m4"]).results
    assert r.verdict == "runs" and r.arena_source == "host-run"
    assert r.arena_measured_bytes and r.arena_measured_bytes > 0
    doc = r.to_dict()
    assert doc["arena_source"] == "host-run" and doc["arena_measured_bytes"] == r.arena_measured_bytes


def _stale_table_target(directory: Path) -> Path:
    """A user target whose (stale) LiteRT table says ADD has no kernel: its prediction is wrong."""
    shipped = Path(load_registry().get("host-x86_64").source_file).with_name("optables") / "litert.json"
    table = json.loads(shipped.read_text())
    table["ops"]["ADD"]["status"] = "missing"
    (directory / "optables").mkdir(parents=True)
    (directory / "optables" / "litert.json").write_text(json.dumps(table))
    (directory / "stale-host.toml").write_text('name = "stale-host"\nextends = "host-x86_64"\n')
    return directory


def test_cli_verify_json_and_loud_contradiction(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(_stale_table_target(tmp_path / "targets")))
    model = tmp_path / "while.tflite"
    model.write_bytes(while_model())
    static = run_cli("check", model, "-t", "stale-host", "--json")
    assert static.returncode == 1 and json.loads(static.stdout)["results"][0]["evidence"] == "static"
    proc = run_cli("check", model, "-t", "stale-host", "--verify", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    [r] = doc["results"]
    assert (r["evidence"], r["verdict"], r["predicted_verdict"], r["prediction_wrong"]) == (
        "verified", "runs", "does-not-run", True)
    assert [o["key"] for o in r["runtime_outcomes"]][:2] == ["litert", "litert-no-xnnpack"]
    assert doc["predictions_wrong"] == ["stale-host"]
    assert "PREDICTION WRONG for stale-host" in proc.stderr
    text = run_cli("check", model, "-t", "stale-host", "--verify")
    assert text.returncode == 0 and "PREDICTION WRONG for stale-host" in " ".join(text.stdout.split())


def test_one_tflm_run_decides_every_mcu_and_matches_a_run_at_each_ram(tmp_path: Path) -> None:
    """ADD of two [1, 40000] floats: ~480 KB of activations fit cortex-m4 (640 KB) but not cortex-m7 (320 KB).
    The m7 verdict is derived from the m4 run's measured arena; a real run at m7's RAM must agree."""
    model = tmp_path / "add.tflite"
    model.write_bytes(_wide_add())
    report = _verify(model, ["cortex-m4", "cortex-m7"])
    m4, m7 = report.results
    assert m4.verdict == "runs" and m4.arena_measured_bytes and 320 * 1024 < m4.arena_measured_bytes < 640 * 1024
    assert m7.verdict == "does-not-run" and m7.outcomes[0].kind == "arena-over-ram"
    assert f"needs a {m4.arena_measured_bytes:,} B arena" in m7.outcomes[0].message
    m4_alone = _verify(model, ["cortex-m4", "cortex-m55"]).results[0].outcomes[0]  # derived from m55's 1 MiB run
    assert m4_alone.outcome == "runs" and m4_alone.message == (
        f"TFLM needs a {m4.arena_measured_bytes:,} B arena (measured with the largest arena asked for, 1,048,576 B), "
        "within this target's 655,360 B of RAM")
    [m7_try] = tries_for(load_registry().get("cortex-m7"))
    direct = m7_try.run(model, VerifyOptions())
    assert direct.outcome == "does-not-run" and "Failed to resize buffer" in direct.message


def _wide_add() -> bytes:
    b = ModelBuilder(description="edgetk wide add")
    x, y = b.add_tensor([1, 40000], name="x"), b.add_tensor([1, 40000], name="y")
    out = b.add_tensor([1, 40000], name="z")
    b.add_op("ADD", [x, y], [out], options=schema().AddOptionsT())
    b.set_io([x, y], [out])
    return b.build()


def test_a_host_run_does_not_overrule_the_devices_flash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TFLM runs the model on this host, but the target's flash cannot hold it: still does-not-run, and the
    prediction was right (seen on MediaPipe's iris landmark model, 2.6 MB, against a 2 MB-flash Cortex-M85)."""
    (tmp_path / "tiny-flash.toml").write_text('name = "tiny-flash"\nextends = "cortex-m4"\n[memory]\nflash_bytes = 100\n')
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(tmp_path))
    model = tmp_path / "while.tflite"
    model.write_bytes(while_model())
    [r] = _verify(model, ["tiny-flash"]).results
    assert r.outcomes[0].outcome == "runs" and r.verdict == "does-not-run" and not r.prediction_wrong
    assert [f.rule for f in r.errors] == ["model_over_flash"]
