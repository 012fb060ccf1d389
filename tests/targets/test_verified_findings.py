"""A verified 'runs' is never printed beside a static error it contradicts: the error stays, as a warning
that says the prediction was wrong, so the grouped output, JSON and JUnit all agree with the verdict."""

from __future__ import annotations

from toolkit.targets.check import DOES_NOT_RUN, RUNS, TargetVerdict
from toolkit.targets.rules import Finding
from toolkit.targets.runtime_outcome import RuntimeOutcome
from toolkit.targets.verify import Evidence, verified_verdict


def _static(*findings: Finding) -> TargetVerdict:
    return TargetVerdict("cortex-m4", DOES_NOT_RUN, list(findings), "tflm 0.dev", "tflm.json", 900_000)


def _ran(label: str = "TFLM, arena = RAM 655,360 B") -> RuntimeOutcome:
    return RuntimeOutcome("tflm@655360", label, "tflm", "host-run", RUNS, arena_bytes=24_224)


def test_static_error_the_runtime_disproved_becomes_a_prediction_wrong_warning() -> None:
    arena = Finding("arena_over_ram", "error", "Estimated tensor arena 900000 bytes exceeds 655360", None)
    flash = Finding("model_over_flash", "error", "model larger than flash", None)
    primary = _ran()
    verdict = verified_verdict(_static(arena), Evidence(primary, [primary]))
    assert verdict.verdict == RUNS and verdict.predicted_verdict == DOES_NOT_RUN and verdict.prediction_wrong
    assert verdict.errors == []
    (only,) = verdict.findings
    assert only.severity == "warning" and only.rule == "arena_over_ram"
    assert only.message.startswith("PREDICTION WRONG: TFLM, arena = RAM 655,360 B ran it, yet predicted:")
    # a limit of the device itself (flash) is not something a host run can disprove: it stays an error
    kept = verified_verdict(_static(arena, flash), Evidence(primary, [primary]))
    assert kept.verdict == DOES_NOT_RUN and [f.rule for f in kept.errors] == ["model_over_flash"]


def test_a_failed_run_keeps_the_static_errors() -> None:
    arena = Finding("arena_over_ram", "error", "Estimated tensor arena 900000 bytes exceeds 655360", None)
    failed = RuntimeOutcome("tflm@655360", "TFLM", "tflm", "host-run", DOES_NOT_RUN, kind="arena",
                            message="Failed to resize buffer")
    verdict = verified_verdict(_static(arena), Evidence(failed, [failed]))
    assert verdict.verdict == DOES_NOT_RUN and {f.rule for f in verdict.errors} == {"arena_over_ram",
                                                                                      "verified_does_not_run"}


def test_an_alternative_that_fails_like_the_primary_is_not_called_a_deployment_choice() -> None:
    """Seen on selfie_segmentation for rpi4-arm64: the emulated image and the x86 wheel both refuse its
    custom op; a warning saying "(the target's own runtime ran it)" would contradict the verdict beside it."""
    line = "Encountered unresolved custom op: Convolution2DTransposeBias."
    emulated = RuntimeOutcome("tflite-runtime@debian12-arm64", "tflite-runtime in emulated debian12-arm64",
                              "tflite-runtime", "emulated", DOES_NOT_RUN, kind="missing-kernel", message=line)
    wheel = RuntimeOutcome("tflite-runtime", "tflite-runtime (x86_64 wheel of this host)", "tflite-runtime",
                           "host-run", DOES_NOT_RUN, kind="missing-kernel", message=line)
    static = TargetVerdict("rpi4-arm64", DOES_NOT_RUN, [], "tflite-runtime 2.14.0", "tflite-runtime.json", None)
    verdict = verified_verdict(static, Evidence(emulated, [emulated, wheel]))
    assert verdict.verdict == DOES_NOT_RUN and not verdict.prediction_wrong
    assert [f.rule for f in verdict.findings] == ["verified_does_not_run"]
    assert verdict.outcomes == [emulated, wheel]  # the wheel's refusal is still reported, as an outcome
    # when the primary ran, the alternative's refusal IS a deployment choice and stays a warning
    ran = RuntimeOutcome("litert", "LiteRT CPU + XNNPACK", "litert", "host-run", RUNS)
    plain = RuntimeOutcome("litert-no-xnnpack", "LiteRT CPU, built-in kernels", "litert", "host-run", DOES_NOT_RUN,
                           kind="missing-kernel", message=line)
    host = verified_verdict(TargetVerdict("host-x86_64", RUNS, [], "litert 2.3.0", "litert.json", None),
                            Evidence(ran, [ran, plain]))
    assert host.verdict == RUNS
    [warning] = host.findings
    assert warning.rule == "verified_alternative_fails" and warning.severity == "warning"
    assert "(the target's own runtime ran it)" in warning.message
