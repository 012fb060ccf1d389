"""P7: emulated Raspberry Pi 4, cached image, small model: from command start to printed result.

The image is built (or restored) once before timing; each timed run is the whole `edgetk bench` command a
user types. The anchor is the bare minimum the emulator must do: start the image's python3 under qemu-user
and import numpy and the runtime (no model), so the gap is edgetk's own cost.
"""

from __future__ import annotations

import json

from benchmarks.harness import Context, Row, Sample, Section, interleave, run_child, spread
from benchmarks.mlperf_tiny_models import ensure_models

TITLE = "`edgetk bench --target rpi4-arm64` (emulated Pi, cached image, small conv net), command start to result"
GOAL_S = 5.0


def image_python_argv() -> list[str]:
    from toolkit.emulator import ensure_image

    root = ensure_image("debian12-arm64").root
    return ["/usr/bin/qemu-aarch64-static", "-L", str(root), "-cpu", "cortex-a72", str(root / "usr/bin/python3"),
            "-c", "import numpy, tflite_runtime.interpreter"]


def measure(ctx: Context) -> Section:
    model = ensure_models(["tiny-float"])["tiny-float"]
    anchor = image_python_argv()
    argv = ctx.edgetk("bench", model, "--target", "rpi4-arm64", "--runs", 10, "--warmup", 2, "--json", "--no-store")
    notes: list[str] = []

    def once() -> Sample:
        s = run_child(argv, env=ctx.env, ok_codes=(0,))
        doc = json.loads(s.stdout)
        notes.append(f"{doc['runner']['device']['arch']}, {doc['runner']['runtime']['name']} "
                     f"{doc['runner']['runtime']['version']}, p50 {doc['runner']['latency_ms']['p50']:.2f} ms (emulated)")
        return s

    runs = interleave({"edgetk": once, "anchor": ctx.child(anchor, ok_codes=(0,))}, ctx.rounds)
    t = spread(runs["edgetk"])
    row = Row("P7", f"bench a {model.stat().st_size / 1e3:.0f} kB conv net, 10 runs + 2 warm-up, on the emulated Pi 4",
              t, spread(runs["anchor"]), "qemu-user python3 + import numpy, tflite_runtime",
              goal=f"≤ {GOAL_S:g} s", met=t.median <= GOAL_S)
    return Section("P7", TITLE, [row], f"Result reported by the runs: {notes[-1]}.")
