"""The LSTM story: one Keras 3 LSTM, the new converter both ways, the old converter, compared on three targets.

    python examples/lstm_story/run.py [--out DIR] [--require-legacy] [--reuse] [--rounds N] [--runs N]

1. `edgetk convert --rnn loop`: the WHILE-loop form TF 2.21 produces for Keras 3 (batch fixed to 1 first).
2. `edgetk convert --rnn fused`: UNIDIRECTIONAL_SEQUENCE_LSTM, rebuilt through Keras 2 layers with the same weights.
   Both are checked against Keras in LiteRT and TFLM.
3. `edgetk legacy convert`: the old converter (TOCO, TF 2.17.1) on the same source. It fails for every Keras
   LSTM; that is a finding of the story, not a crash. Without the legacy environment the story says how to
   create it and goes on (`--require-legacy` makes that an error).
4. `edgetk compare` fused vs loop on the host, the emulated Raspberry Pi 4 and a Cortex-M4 (TFLite Micro),
   with interleaved timing rounds; then fused vs the TOCO attempt.
5. `edgetk report ... --html`: one self-contained page.
Every step is the command a user would type; the story asserts what it shows and ends with "story: OK".
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCE = f"{HERE / 'model.py'}:build"
TARGETS = ("host-x86_64", "rpi4-arm64", "cortex-m4")
TIMINGS = {"host-x86_64": "measured", "rpi4-arm64": "emulated", "cortex-m4": "estimated"}  # what each verdict is on
RUNS = ("runs", "delegate-fallback")


def edgetk(args: list[str], *, ok: tuple[int, ...] = (0,), json_to: Path | None = None) -> int:
    """Run `edgetk ARGS` as a user would (printed first); with json_to, --json goes into that file."""
    shown = "edgetk " + shlex.join(args) + (f" --json > {json_to.name}" if json_to else "")
    print(f"\n$ {shown}", flush=True)
    argv = [sys.executable, "-m", "toolkit.cli", *args, *(["--json"] if json_to else [])]
    if json_to is None:
        code = subprocess.run(argv, cwd=REPO).returncode
    else:
        with open(json_to, "w") as sink:
            code = subprocess.run(argv, cwd=REPO, stdout=sink).returncode
    if code not in ok:
        sys.exit(f"story: `{shown}` failed with exit code {code}")
    return code


def convert(form: str, out: Path, reuse: bool) -> dict:
    model, report = out / f"lstm_{form}.tflite", out / f"convert_{form}.json"
    if reuse and model.exists() and report.exists():
        print(f"\n(reusing {model.name} from an earlier run: --reuse)")
    else:
        edgetk(["convert", SOURCE, "-o", str(model), "--rnn", form, "--check-runtime", "litert",
                "--check-runtime", "tflm", "--report", str(report)])
    return json.loads(report.read_text())


def legacy_ready() -> bool:
    proc = subprocess.run([sys.executable, "-m", "toolkit.cli", "legacy", "status", "--json"], cwd=REPO,
                          capture_output=True, text=True)
    return proc.returncode == 0 and json.loads(proc.stdout).get("ready", False)


def toco_attempt(out: Path, reuse: bool) -> dict:
    """The old converter on the same source; exit 5 with its findings is the expected outcome."""
    result = out / "toco.json"
    if not (reuse and result.exists()):
        edgetk(["legacy", "convert", SOURCE, "-o", str(out / "lstm_toco.tflite")], ok=(0, 5), json_to=result)
    doc = json.loads(result.read_text())
    assert not doc["ok"], "TOCO converted a Keras LSTM: the story expects it to refuse"
    [finding] = doc["findings"]
    print(f"finding: TOCO {doc['tf_version']} cannot convert the LSTM: {finding['message']}")
    assert finding["kind"] == "needs-custom-ops" and "TensorListReserve" in finding["ops"], finding
    return doc


def compare_forms(out: Path, rounds: int, runs: int) -> dict:
    """Fused (new) vs loop (old) on every target, timed; exit 1 would be a regression verdict, not a crash."""
    doc_path = out / "compare_fused_vs_loop.json"
    targets = [a for t in TARGETS for a in ("--target", t)]
    code = edgetk(["compare", str(out / "lstm_fused.tflite"), str(out / "lstm_loop.tflite"), *targets, "--bench",
                   "--rounds", str(rounds), "--runs", str(runs), "--out", str(doc_path),
                   "--junit", str(out / "compare_fused_vs_loop.junit.xml")], ok=(0, 1))
    doc = json.loads(doc_path.read_text())
    assert (code == 1) == (doc["verdict"] == "regression"), (code, doc["verdict"])
    assert doc["numerics"]["max_abs_vs_old"] < 1e-5, doc["numerics"]  # two lowerings of the same weights
    for t in doc["targets"]:
        assert t["new_verdict"] in RUNS and t["old_verdict"] in RUNS, t
    lat = {row["target"]: row for row in doc["latency"]}
    assert set(lat) == set(TARGETS) and lat["rpi4-arm64"]["emulated"], lat.keys()
    # every timed run of every round (raw samples, not one median per round)
    assert all(len(row["samples_ms"]["new"]) == rounds * runs for row in lat.values()), lat
    assert {t: row["verdict_timing"] for t, row in lat.items()} == TIMINGS, lat
    return doc


def compare_toco(out: Path) -> dict:
    doc_path = out / "compare_fused_vs_toco.json"
    targets = [a for t in TARGETS for a in ("--target", t)]
    edgetk(["compare", str(out / "lstm_fused.tflite"), "--legacy-from", SOURCE, *targets, "--out", str(doc_path)])
    doc = json.loads(doc_path.read_text())
    assert doc["old"] is None and "TensorListReserve" in doc["old_failure"]["ops"], doc["old_failure"]
    assert all(t["old_verdict"] == "not-converted" and t["change"] == "improvement" for t in doc["targets"])
    assert doc["verdict"] == "pass"
    return doc


def summarize(convs: dict[str, dict], forms: dict, toco: dict | None) -> None:
    print("\n== summary")
    for form, rep in convs.items():
        worst = max(o["max_abs"] for c in rep["numerics"] for o in c["outputs"])
        checked = "+".join(c["runtime"] for c in rep["numerics"])
        print(f"  {form:6} {rep['size_bytes']:7,} B  {sum(rep['ops'].values()):3} operators  "
              f"worst error vs Keras {worst:.1e} ({checked})")
    print("  TOCO   " + ("not converted: " + toco["findings"][0]["message"] if toco else "not tried (no legacy env)"))
    print("  fused vs loop latency (median of rounds, or the MCU estimate; emulated figures are relative only):")
    for row in forms["latency"]:
        new, old = (row["estimate"]["new_ms"], row["estimate"]["old_ms"]) if row.get("estimate") else (
            row["new"]["median_ms"], row["old"]["median_ms"])
        print(f"    {row['target']:<12} fused {new:8.3f}  loop {old:8.3f}  x{row['ratio']:.2f} {row['verdict']}"
              f" ({row['verdict_timing']})")
    print(f"  compare verdict: {forms['verdict']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("lstm-story-out"))
    parser.add_argument("--require-legacy", action="store_true", help="fail if the TOCO environment is missing")
    parser.add_argument("--reuse", action="store_true", help="reuse conversions already in --out")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved timing rounds per model")
    parser.add_argument("--runs", type=int, default=10, help="timed inferences per round")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    have_legacy = legacy_ready()
    if not have_legacy and args.require_legacy:
        sys.exit("story: the old converter's environment is missing: run `edgetk legacy setup` (--require-legacy)")
    convs = {form: convert(form, out, args.reuse) for form in ("loop", "fused")}
    assert "WHILE" in convs["loop"]["ops"] and "UNIDIRECTIONAL_SEQUENCE_LSTM" not in convs["loop"]["ops"]
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in convs["fused"]["ops"] and "WHILE" not in convs["fused"]["ops"]
    for rep in convs.values():
        assert {c["runtime"] for c in rep["numerics"]} == {"litert", "tflm"} and all(c["ok"] for c in rep["numerics"])
        assert max(o["max_abs"] for c in rep["numerics"] for o in c["outputs"]) < 1e-5

    toco = None
    if have_legacy:
        toco = toco_attempt(out, args.reuse)
    else:
        print("\nThe old converter (TOCO, TF 2.17.1) is not set up, so this run skips it.\n"
              "Create its environment once with `edgetk legacy setup` (≈45 s, ≈1.3 GB download) and rerun.")

    forms = compare_forms(out, args.rounds, args.runs)
    results = [out / "convert_loop.json", out / "convert_fused.json", out / "compare_fused_vs_loop.json"]
    if toco is not None:
        compare_toco(out)
        results.append(out / "compare_fused_vs_toco.json")
    html = out / "report.html"
    edgetk(["report", *map(str, results), "--html", str(html), "--title", "LSTM story: fused vs loop vs TOCO"])
    page = html.read_text()
    assert "<svg" in page and "UNIDIRECTIONAL_SEQUENCE_LSTM" in page and "rpi4-arm64" in page
    assert toco is None or "TOCO" in page
    summarize(convs, forms, toco)
    print(f"\nreport: {html}")
    print("story: OK")


if __name__ == "__main__":
    main()
