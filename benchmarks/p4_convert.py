"""P4: `edgetk convert` wall time vs a plain TFLiteConverter script on the same small Keras model.

Both are cold processes that pay the TensorFlow import. edgetk's default run also fixes the batch, checks
the output and compares it numerically with TF in LiteRT; the `--no-verify` row shows what that check costs.
"""

from __future__ import annotations

from benchmarks.harness import Context, Row, Section, interleave, spread
from benchmarks.models import ensure

TITLE = "`edgetk convert` vs a plain TFLiteConverter script (small Keras 3 conv net, cold processes)"
GOAL_RATIO = 1.2


def measure(ctx: Context) -> Section:
    source = ensure("small-keras")["small-keras"]
    plain = ("import keras, tensorflow as tf\n"
             f"m = keras.models.load_model({str(source)!r}, compile=False)\n"
             f"open({str(ctx.work / 'plain.tflite')!r}, 'wb').write(tf.lite.TFLiteConverter.from_keras_model(m).convert())\n")
    runs = interleave({
        "edgetk": ctx.child(ctx.edgetk("convert", source, "-o", ctx.work / "edgetk.tflite"), ok_codes=(0,)),
        "no-verify": ctx.child(ctx.edgetk("convert", source, "-o", ctx.work / "edgetk-nv.tflite", "--no-verify"),
                               ok_codes=(0,)),
        "anchor": ctx.child(ctx.python(plain), ok_codes=(0,)),
    }, ctx.rounds)
    anchor = spread(runs["anchor"])
    ours, nv = spread(runs["edgetk"]), spread(runs["no-verify"])
    rows = [
        Row("P4", "convert (default: batch fix, output check, numerics vs TF in LiteRT)", ours, anchor,
            "plain TFLiteConverter script", goal=f"≤ {GOAL_RATIO}×", met=ours.median / anchor.median <= GOAL_RATIO),
        Row("P4", "convert --no-verify (no numerical check)", nv, anchor, "plain TFLiteConverter script",
            goal=f"≤ {GOAL_RATIO}×", met=nv.median / anchor.median <= GOAL_RATIO),
    ]
    return Section("P4", TITLE, rows)
