"""P9e: the Pi targets' verdicts decided inside the emulated Pi images, over P9's whole corpus.

P9 verifies Pi targets with the x86_64 tflite-runtime wheel of this host (its speed rows skip the emulator).
This figure runs `check --verify` for every emulated Pi target (rpi4-arm64 and rpi5-arm64 share the
debian12-arm64 image, rpi-zero2-armhf runs in debian12-armhf) on every model of P9's corpus, so the verdict
comes from the real aarch64 / armv7l tflite-runtime build under qemu-user. Three figures:

1. static verdict = emulated outcome, per (model, Pi target) pair (P9's agreement, with the ARM runtime);
2. the x86 wheel as a stand-in for the ARM build: same outcome, and when both ran, the same outputs on the
   same seeded inputs (min / max / mean per output within kernel rounding, `verify.output_mismatch`);
3. what one emulated try costs (child process start + guest Python + allocate + one invoke under qemu),
   against the same try with the x86 wheel.

Kept apart from P9 so that P9's speed rows are never re-measured when this (minutes-long) sweep runs:

    python -m benchmarks.run --only P9e --rounds 1 --write docs/PERFORMANCE.md
    python -m benchmarks.p9e_emulated       # the tables alone
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import Context, Row, Section, Spread
from benchmarks.p9_verify import GOAL_AGREEMENT, corpus

TITLE = "Pi targets verified inside the emulated Pi images (qemu-user): agreement over P9's corpus and cost"


@dataclass
class Sweep:
    """Everything the sweep saw; each list holds one entry per (model, image) run unless said otherwise."""

    pairs: int = 0  # (model, Pi target) pairs the emulated image decided
    agree: int = 0
    wrong: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # model, target, static, emulated, why
    runs: int = 0  # (model, image) emulated runs with an answer
    same_outcome: int = 0
    both_ran: int = 0
    same_outputs: int = 0
    stand_in_differs: list[tuple[str, str, str]] = field(default_factory=list)  # model, image, how
    not_tried: list[tuple[str, str, str]] = field(default_factory=list)  # model, image, why
    emulated_s: list[float] = field(default_factory=list)
    slowest: tuple[float, str, str] = (0.0, "", "")  # seconds, model, image
    host_s: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    models: int = 0


def pi_targets() -> list:
    """Every target whose runtime is tried in an emulated image (the descriptors say which)."""
    from toolkit.targets import load_registry

    return [t for t in load_registry().all() if t.runtime.name == "tflite-runtime"
            and t.reach.transport == "emulator" and t.reach.image]


def sweep(models: dict[str, Path]) -> Sweep:
    from toolkit.model import load_model
    from toolkit.targets import check_model
    from toolkit.targets.verify import VerifyOptions, verify_report

    targets = pi_targets()
    seen = Sweep(models=len(models))
    started = time.monotonic()
    for name, path in models.items():
        with load_model(path) as model:
            report = verify_report(model, check_model(model, targets), targets, VerifyOptions(emulated=True))
        images_done: set[str] = set()
        for r in report.results:
            emulated = next((o for o in r.outcomes if o.provenance == "emulated"), None)
            host = next((o for o in r.outcomes if o.provenance == "host-run"), None)
            if emulated is None or emulated.outcome == "not-tried":
                seen.not_tried.append((name, r.target, (emulated.message if emulated else "no image") or ""))
                continue
            seen.pairs += 1
            if r.prediction_wrong:
                why = emulated.message or emulated.kind or ""
                seen.wrong.append((name, r.target, str(r.predicted_verdict), r.verdict, why[:120]))
            else:
                seen.agree += 1
            if emulated.key not in images_done:  # rpi4 and rpi5 share one run of the same image
                images_done.add(emulated.key)
                _compare_stand_in(seen, name, emulated, host)
    seen.wall_s = time.monotonic() - started
    return seen


def _compare_stand_in(seen: Sweep, name: str, emulated, host) -> None:  # noqa: ANN001 - RuntimeOutcome
    from toolkit.targets.verify import output_mismatch

    image = emulated.key.split("@", 1)[-1]
    seen.runs += 1
    seen.emulated_s.append(emulated.seconds or 0.0)
    seen.slowest = max(seen.slowest, (emulated.seconds or 0.0, name, image))
    if host is None or host.outcome == "not-tried":
        seen.stand_in_differs.append((name, image, "the x86 wheel was not tried"))
        return
    seen.host_s.append(host.seconds or 0.0)
    if host.outcome != emulated.outcome:
        seen.stand_in_differs.append((name, image, f"x86 wheel {host.outcome} ({host.message or host.kind}), "
                                                   f"emulated {emulated.outcome} ({emulated.message or emulated.kind})"))
        return
    seen.same_outcome += 1
    if emulated.outcome != "runs":
        return
    seen.both_ran += 1
    if not emulated.outputs or not host.outputs:  # nothing to compare is not an agreement
        seen.stand_in_differs.append((name, image, "a run that returned has no output summary"))
        return
    mismatch = output_mismatch(emulated.outputs, host.outputs)
    if mismatch is None:
        seen.same_outputs += 1
    else:
        seen.stand_in_differs.append((name, image, f"both ran; the emulated run's {mismatch.replace('reference', 'x86 wheel')}"))


def rows(seen: Sweep) -> list[Row]:
    rate = 100.0 * seen.agree / seen.pairs if seen.pairs else 0.0
    outcome_rate = 100.0 * seen.same_outcome / seen.runs if seen.runs else 0.0
    output_rate = 100.0 * seen.same_outputs / seen.both_ran if seen.both_ran else 0.0
    n_images = len({t.reach.image for t in pi_targets()})
    return [
        Row("P9e", f"static verdict = outcome in the emulated Pi image, {seen.pairs} (model, Pi target) pairs "
                   f"({seen.models} models x {len(pi_targets())} targets)", Spread((rate,)), unit="%",
            goal=f"≥ {GOAL_AGREEMENT:g}%", met=rate >= GOAL_AGREEMENT, note=f"{seen.agree}/{seen.pairs}"),
        Row("P9e", f"x86 wheel's outcome = emulated image's, {seen.runs} (model, image) runs", Spread((outcome_rate,)),
            unit="%", note=f"{seen.same_outcome}/{seen.runs}"),
        Row("P9e", f"x86 wheel's outputs = emulated image's, {seen.both_ran} runs where both ran",
            Spread((output_rate,)), unit="%", note=f"{seen.same_outputs}/{seen.both_ran}"),
        Row("P9e", f"one emulated try (child + guest Python + allocate + 1 invoke), {seen.runs} runs in "
                   f"{n_images} images; whole sweep {seen.wall_s:.0f} s; slowest {seen.slowest[1]} in "
                   f"{seen.slowest[2]} {seen.slowest[0]:.1f} s",
            Spread(tuple(seen.emulated_s)) if seen.emulated_s else None,
            Spread(tuple(seen.host_s)) if seen.host_s else None, "the same try with the x86 tflite-runtime wheel"),
    ]


def text(seen: Sweep) -> str:
    out = ["Each model is checked against every emulated Pi target with `check --verify` (VerifyOptions("
           "emulated=True)): the image's own tflite-runtime 2.14 (aarch64 / armv7l) decides the verdict, the "
           "x86 wheel runs beside it; up to 3 tries at once on this 2-core machine, so a try's time includes "
           "waiting for a core. Timings are qemu-user's, not a Pi's. Corpus: P9's (the issue's Keras cases, "
           "MediaPipe and microWakeWord models, builder single-feature models).", ""]
    out += _table("Pairs where the static prediction was wrong (the emulated runtime's outcome is the verdict)",
                  ["model", "target", "static", "emulated", "runtime said"], seen.wrong,
                  "Every (model, Pi target) pair the emulated images decided agreed with the static prediction.")
    out += _table("Runs where the x86 wheel is not a faithful stand-in for the ARM build", ["model", "image", "how"],
                  seen.stand_in_differs, "The x86 wheel gave the emulated image's outcome and outputs on every run.")
    if seen.not_tried:
        out += _table("Pairs the emulated image could not decide", ["model", "target", "why"], seen.not_tried, "")
    return "\n".join(out) + "\n"


def _table(title: str, head: list[str], body: list[tuple[str, ...]], empty: str) -> list[str]:
    if not body:
        return [empty, ""]
    lines = [f"{title}:", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in body]
    return lines + [""]


def measure(ctx: Context) -> Section:  # noqa: ARG001 - one sweep; rounds do not apply
    seen = sweep(corpus())
    return Section("P9e", TITLE, rows(seen), text(seen))


if __name__ == "__main__":
    result = sweep(corpus())
    from benchmarks.harness import render_rows

    print(render_rows(rows(result)))
    print(text(result))
    sys.exit(0)
