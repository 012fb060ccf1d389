"""`check --verify` on Pi targets: the verdict comes from the image's own ARM tflite-runtime under qemu-user.

rpi4-arm64 runs in debian12-arm64 (aarch64), rpi-zero2-armhf in debian12-armhf (armv7l); each image is a
real Debian 12 with the pinned tflite-runtime 2.14 wheel of its architecture, built once per cache. Every
outcome below is a real guest process; the static prediction is asserted beside it. The x86 wheel runs too,
as the stand-in `--no-emulator` uses, and must give the same outputs on the same seeded inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.emulator import ensure_image
from toolkit.model import load_model
from toolkit.targets import check_model, load_registry
from toolkit.targets.verify import VerifyOptions, output_mismatch, verify_report

pytestmark = [pytest.mark.slow, pytest.mark.device]

IMAGES = {"rpi4-arm64": "debian12-arm64", "rpi-zero2-armhf": "debian12-armhf"}


@pytest.fixture(scope="module")
def images() -> dict[str, object]:
    """Both images, in the shared test cache the root conftest points EDGETK_CACHE at."""
    return {alias: ensure_image(alias) for alias in ("arm64", "armhf")}


def _both(path: Path, *targets: str):  # noqa: ANN202 - (static, verified) results by target
    registry = load_registry()
    descriptors = [registry.get(t) for t in targets]
    with load_model(path) as model:
        static = check_model(model, descriptors)
        verified = verify_report(model, static, descriptors, VerifyOptions(emulated=True))
    return {r.target: r for r in static.results}, {r.target: r for r in verified.results}


def test_a_model_the_tables_say_runs_runs_in_both_arm_images_with_the_x86_wheels_outputs(images) -> None:
    static, verified = _both(corpus_model("pymicro_wakeword/alexa.tflite"), *IMAGES)
    for target, image in IMAGES.items():
        assert static[target].verdict == "runs"
        v = verified[target]
        emulated, wheel = v.outcomes
        assert (emulated.key, emulated.provenance, emulated.outcome) == (f"tflite-runtime@{image}", "emulated", "runs")
        assert (v.evidence, v.verdict, v.prediction_wrong) == ("verified", "runs", False)
        assert wheel.provenance == "host-run" and wheel.outcome == "runs"
        assert emulated.outputs and output_mismatch(emulated.outputs, wheel.outputs) is None


def test_an_unregistered_custom_op_is_predicted_and_refused_by_the_arm_runtime(images) -> None:
    """MediaPipe's Convolution2DTransposeBias: LiteRT's XNNPACK takes it, tflite-runtime 2.14 on ARM does not."""
    static, verified = _both(corpus_model("mediapipe/selfie_segmentation.tflite"), *IMAGES)
    for target, image in IMAGES.items():
        assert [(f.rule, f.op) for f in static[target].errors] == [("custom_op", "Convolution2DTransposeBias")]
        v = verified[target]
        emulated = v.outcomes[0]
        assert (emulated.key, emulated.outcome) == (f"tflite-runtime@{image}", "does-not-run")
        assert "unresolved custom op: Convolution2DTransposeBias" in emulated.message
        assert v.verdict == "does-not-run" and not v.prediction_wrong
        assert [f.rule for f in v.findings] == ["custom_op", "verified_does_not_run"]


def test_an_op_version_too_new_for_tflite_runtime_2_14_is_refused_on_arm_as_predicted(images) -> None:
    """`edgetk convert --quantize dynamic` emits hybrid FULLY_CONNECTED v12; tflite-runtime 2.14 stops at v10."""
    from benchmarks.evidence_cases import ensure_cases

    static, verified = _both(ensure_cases("lstm_dynamic_range")["lstm_dynamic_range"], *IMAGES)
    for target in IMAGES:
        assert any(f.rule == "unsupported_op_version" and f.op == "FULLY_CONNECTED" for f in static[target].errors)
        emulated = verified[target].outcomes[0]
        assert emulated.provenance == "emulated" and emulated.outcome == "does-not-run"
        assert "FULLY_CONNECTED' version '12'" in emulated.message
        assert verified[target].verdict == "does-not-run" and not verified[target].prediction_wrong


def test_cli_verify_reports_the_emulated_outcome_and_no_emulator_skips_it(images, run_cli) -> None:
    model = corpus_model("pymicro_wakeword/alexa.tflite")
    proc = run_cli("check", model, "-t", "rpi-zero2-armhf", "--verify", "--json")
    assert proc.returncode == 0, proc.stderr
    [r] = json.loads(proc.stdout)["results"]
    assert (r["evidence"], r["verdict"], r["predicted_verdict"]) == ("verified", "runs", "runs")
    assert [(o["key"], o["provenance"], o["outcome"]) for o in r["runtime_outcomes"]] == [
        ("tflite-runtime@debian12-armhf", "emulated", "runs"), ("tflite-runtime", "host-run", "runs")]
    quick = run_cli("check", model, "-t", "rpi-zero2-armhf", "--verify", "--no-emulator", "--json")
    assert quick.returncode == 0, quick.stderr
    [q] = json.loads(quick.stdout)["results"]
    assert [(o["key"], o["provenance"]) for o in q["runtime_outcomes"]] == [("tflite-runtime", "host-run")]
    assert q["evidence"] == "verified" and q["verdict"] == "runs"
