"""Measure the numerical error of every --quantize mode on the convert corpus: where TOLERANCES come from.

`python -m benchmarks.convert_tolerances [--json OUT]` converts each model of the corpus (the architectures of
tests/convert/fixture_architectures.py and the RNN / control-flow models of tests/convert/fixture_models.py)
in each mode (one worker per mode), calibrating int8/int16x8 on seeded in-distribution samples (edgetk's
random calibration, seed 1) and checking on other samples (seed 0), and prints the worst relative error (max |tflite - TF| / max |TF| per output,
LiteRT) per mode: min / median / max over the corpus, next to the tolerance in toolkit/convert/verdict.py.
The figures are recorded in docs/CONVERT.md ("Numerics verdict"); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCH = REPO / "tests" / "convert" / "fixture_architectures.py"
RNN = REPO / "tests" / "convert" / "fixture_models.py"
MODELS = {
    "bert": (f"{ARCH}:bert_encoder", {}),
    "mobilebert": (f"{ARCH}:mobilebert_block", {}),
    "vit": (f"{ARCH}:vit_patch_encoder", {}),
    "gpt2": (f"{ARCH}:gpt2_block", {}),
    "ssd_v4": (f"{ARCH}:ssd_head", {"signature": "detect_v4"}),
    "lstm": (f"{RNN}:lstm", {}),
    "text_lstm": (f"{RNN}:text_lstm", {}),
    "while_loop": (f"{RNN}:while_loop", {}),
    "cond": (f"{RNN}:cond", {}),
}
MODES = ("none", "float16", "dynamic", "int8", "int16x8")
# TF 2.21's converter segfaults full-integer quantizing these WHILE/IF graphs (docs/CONVERT.md): left out.
FULL_INTEGER_SKIP = ("while_loop", "cond")


def measure(modes: tuple[str, ...] = MODES) -> dict[str, dict[str, float | str]]:
    """One worker per mode, so a converter crash costs only that mode's remaining models."""
    from toolkit.convert import ConvertOptions
    from toolkit.convert.api import convert_many

    table: dict[str, dict[str, float | str]] = {}
    for mode in modes:
        names = [n for n in MODELS if not (mode in ("int8", "int16x8") and n in FULL_INTEGER_SKIP)]
        with tempfile.TemporaryDirectory(prefix="edgetk-tolerances-") as tmp:
            items = [(MODELS[name][0], Path(tmp) / f"{name}.tflite", ConvertOptions(quantize=mode, **MODELS[name][1]))
                     for name in names]
            results = convert_many(items, check_runtimes=("litert",),
                                   progress=lambda t: print(f"  {t}", file=sys.stderr))
        table[mode] = {}
        for name, report in zip(names, results, strict=True):
            if isinstance(report, Exception):
                table[mode][name] = f"converter refused: {str(report).splitlines()[0][:90]}"
                continue
            verdict = report.numerics_verdict
            table[mode][name] = (verdict.worst_rel if verdict and verdict.worst_rel is not None else
                                 f"not checked: {(verdict.reasons or ['?'])[0][:90] if verdict else '?'}")
    return table


def render(table: dict[str, dict[str, float | str]]) -> str:
    from toolkit.convert.verdict import TOLERANCES

    lines = [f"{'mode':<9} {'n':>2} {'min':>9} {'median':>9} {'max':>9}  tolerance  worst model"]
    for mode, per_model in table.items():
        values = {m: v for m, v in per_model.items() if isinstance(v, float)}
        if not values:
            lines.append(f"{mode:<9} no figures")
            continue
        worst = max(values, key=values.__getitem__)
        lines.append(f"{mode:<9} {len(values):>2} {min(values.values()):>9.2e} "
                     f"{statistics.median(values.values()):>9.2e} {values[worst]:>9.2e}  {TOLERANCES[mode]:>9.3g}  "
                     f"{worst}")
        lines += [f"    {m}: {v}" for m, v in per_model.items() if not isinstance(v, float)]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="also write the per-model figures here")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated --quantize modes")
    args = parser.parse_args(argv)
    table = measure(tuple(args.modes.split(",")))
    print(render(table))
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
