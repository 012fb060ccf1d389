"""P9: `check --verify` — what trying every runtime costs, and how often the static verdict was already right.

Two figures. (1) `edgetk check MobileNetV2 --all-targets --verify`, cold process, against plain `check` on
the same file (the anchor: what the prediction alone costs). (2) The static-vs-runtime agreement rate over a
corpus nobody here wrote plus the issue's own cases: for every (model, target) pair the static verdict
("can it run") is compared with the verified one (the runtime tried here decided); `--verify` itself is the
reference, so its own agreement is 100% by construction and the figure is the static rate.

    python -m benchmarks.run --only P9 --rounds 5 --write docs/PERFORMANCE.md
    python -m benchmarks.p9_verify          # the agreement table alone
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.harness import Context, Row, Section, Spread, interleave, spread
from benchmarks.models import ensure

TITLE = "`check --verify --all-targets` (every runtime here) and the static-vs-runtime agreement rate"
GOAL_S, GOAL_AGREEMENT = 3.0, 98.0


def corpus() -> dict[str, Path]:
    """The issue's cases (built by `edgetk convert`), the third-party corpus, and builder single-feature models."""
    import tempfile

    from benchmarks.corpus import MODELS, corpus_model
    from benchmarks.evidence_cases import ensure_cases
    from toolkit.model import builder

    models = {f"case/{k}": v for k, v in ensure_cases().items()}
    models.update({name: corpus_model(name) for name in MODELS})
    out = Path(tempfile.mkdtemp(prefix="edgetk-p9-"))
    for name, make in {"select_v1": builder.select_model, "densify": builder.densify_model,
                       "dequantize_fp16": builder.dequantize_model, "custom_op": builder.custom_op_model,
                       "while_loop": builder.while_model, "add_v99": builder.versioned_op_model}.items():
        path = out / f"{name}.tflite"
        path.write_bytes(make())
        models[f"built/{name}"] = path
    return models


def agreement(models: dict[str, Path], emulated: bool = False) -> tuple[int, int, list[tuple[str, str, str, str, str]]]:
    """(agreeing pairs, verified pairs, disagreements as (model, target, static, verified, why)).

    ``emulated``: Pi targets are also tried inside their emulated image (2-40 s per try here; benchmarks.p9e_emulated
    measures that over the whole corpus)."""
    from toolkit.model import load_model
    from toolkit.targets import check_model, load_registry
    from toolkit.targets.verify import VerifyOptions, verify_report

    targets = load_registry().all()
    agree = total = 0
    wrong = []
    for name, path in models.items():
        with load_model(path) as model:
            report = verify_report(model, check_model(model, targets), targets, VerifyOptions(emulated=emulated))
        for r in report.results:
            if r.evidence != "verified":
                continue
            total += 1
            if r.prediction_wrong:
                why = next((o.message or o.kind or "" for o in r.outcomes if o.outcome != "not-tried"), "")
                wrong.append((name, r.target, str(r.predicted_verdict), r.verdict, why[:120]))
            else:
                agree += 1
    return agree, total, wrong


def measure(ctx: Context) -> Section:
    model = ensure("mobilenetv2")["mobilenetv2"]
    verify = ctx.edgetk("check", model, "--all-targets", "--verify", "--no-emulator")
    runs = interleave({"verify": ctx.child(verify), "static": ctx.child(ctx.edgetk("check", model, "--all-targets"))},
                      ctx.rounds)
    ours = spread(runs["verify"])
    row = Row("P9", "check --verify --no-emulator MobileNetV2, all targets (LiteRT ±XNNPACK, LiteRT's GPU "
              "accelerator on SwiftShader, tflite-runtime x86 wheel, one TFLM run for every MCU)", ours,
              spread(runs["static"]),
              "plain `check --all-targets`, cold process", goal=f"≤ {GOAL_S:g} s median", met=ours.median <= GOAL_S)
    once = ctx.child(ctx.edgetk("check", model, "--all-targets", "--verify"))()
    emu = Row("P9", "check --verify MobileNetV2, all targets, Pi targets also in the emulated images (1 round)",
              spread([once]), note="qemu-user: two images, tflite-runtime imported under emulation")
    agree, total, wrong = agreement(corpus())
    rate = 100.0 * agree / total if total else 0.0
    rate_row = Row("P9", f"static verdict = runtime outcome, {total} (model, target) pairs verified here",
                   Spread((rate,)), unit="%", goal=f"≥ {GOAL_AGREEMENT:g}% (--verify: 100% by construction)",
                   met=rate >= GOAL_AGREEMENT, note=f"{agree}/{total}")
    method = ("Each try is a child process (the runner through the transports `bench` uses; the GPU accelerator "
              "beside them); up to 3 run at once. The anchor is the same command without `--verify`: compare it "
              "with P1's figure for plain `check` to read how loaded the machine was. Agreement: every (model, "
              "target) pair of the corpus (the issue's Keras cases converted by `edgetk convert`, the repo's "
              "greedy decoder, MediaPipe and microWakeWord models, builder single-feature models) whose runtime "
              "could be tried here; Pi targets with the x86 tflite-runtime wheel (no emulator).\n\n")
    return Section("P9", TITLE, [row, emu, rate_row], method + _disagreement_text(wrong))


def _disagreement_text(wrong: list[tuple[str, str, str, str, str]]) -> str:
    if not wrong:
        return "Every verified pair agreed with the static prediction.\n"
    lines = ["Pairs where the static prediction was wrong (the runtime's outcome is the verdict under --verify):",
             "", "| model | target | static | verified | runtime said |", "|---|---|---|---|---|"]
    lines += [f"| {m} | {t} | {s} | {v} | {why.replace('|', '/')} |" for m, t, s, v, why in wrong]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    a, n, w = agreement(corpus(), emulated="--emulated" in sys.argv)
    print(f"static = runtime on {a}/{n} verified (model, target) pairs ({100.0 * a / max(n, 1):.1f}%)")
    print(_disagreement_text(w))
    sys.exit(0)
