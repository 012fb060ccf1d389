"""Type-mutated results documents through `report`: figures for docs/RELIABILITY.md.

    python -m benchmarks.fuzz_documents --cases 900 [--seeds DIR]   # DIR: *.json from check/bench/compare/convert

Each case takes one real document (``seed_documents``: check static / --verify / --device, bench on a CPU and
an MCU target, compare with and without --bench, on corpus models; ``convert_seeds``: two conversion reports
when TensorFlow is installed; plus any files in DIR), replaces one value anywhere in it by a value of another JSON type, and runs `report`'s whole path
in-process: ``load_results`` (validation), the HTML page and the JUnit suites. Outcomes:
``refused`` (a one-line BadInputError naming the field: `report` exits 2), ``rendered``, ``crashed`` (anything
else: `report` would exit 70 with "internal error"). The bar is 0 crashed.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: one value of each JSON type (and the awkward numbers): a mutation puts one of another type in a value's place
VALUES: tuple[Any, ...] = (None, True, 0, -1, 2.5, 1e308, "x", "", [], [1], ["x"], {}, {"a": 1})


def _kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else "number" if isinstance(value, int | float) else type(value).__name__


def value_paths(doc: Any, path: tuple = ()) -> list[tuple]:
    """Every position in the document (dict keys and list indices), the root excluded."""
    out = [path] if path else []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out += value_paths(value, (*path, key))
    return out


def type_mutation(doc: dict, rng: random.Random) -> tuple[dict, str]:
    """A copy of ``doc`` with one value (not ``schema``) replaced by a value of another JSON type."""
    mutated = copy.deepcopy(doc)
    paths = [p for p in value_paths(mutated) if p != ("schema",)]
    path = rng.choice(paths)
    parent = mutated
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    parent[path[-1]] = rng.choice([v for v in VALUES if _kind(v) != _kind(old)])
    return mutated, ".".join(map(str, path))


@dataclass
class DocFuzzReport:
    cases: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_schema: dict[str, Counter] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)  # "schema path: ExcType: message" (first 20)
    bad_refusals: list[str] = field(default_factory=list)  # refusals that are not one line naming a field


def run_report_path(path: Path, workdir: Path) -> None:
    """What `edgetk report FILE --html F --junit F` does, in-process."""
    from toolkit.report.html import write_html_report
    from toolkit.report.inputs import load_results
    from toolkit.report.junit import report_suites, write_junit

    docs = load_results([path])
    write_html_report(workdir / "r.html", docs)
    write_junit(workdir / "r.xml", report_suites(docs))


def fuzz_documents(seeds: list[dict], cases: int, seed: int = 0) -> DocFuzzReport:
    from toolkit.errors import BadInputError

    rng = random.Random(seed)
    report = DocFuzzReport()
    with tempfile.TemporaryDirectory(prefix="edgetk-docfuzz-") as tmp:
        workdir = Path(tmp)
        for i in range(cases):
            base = seeds[i % len(seeds)]
            doc, where = type_mutation(base, rng)
            path = workdir / "doc.json"
            path.write_text(json.dumps(doc))
            try:
                run_report_path(path, workdir)
                outcome = "rendered"
            except BadInputError as exc:
                outcome = "refused"
                text = str(exc)
                if "\n" in text or ("field " not in text and "schema" not in text):
                    report.bad_refusals.append(f"{base['schema']} {where}: {text[:200]}")
            except Exception as exc:  # noqa: BLE001 - the fuzzer's job is to count these
                outcome = "crashed"
                if len(report.crashes) < 20:
                    report.crashes.append(f"{base['schema']} {where}: {type(exc).__name__}: {str(exc)[:160]}")
            report.cases += 1
            report.outcomes[outcome] += 1
            report.by_schema.setdefault(base["schema"], Counter())[outcome] += 1
    return report


def seed_documents(workdir: Path) -> list[dict]:
    """Real documents of every `report` input this host can make without TensorFlow (corpus models)."""
    from benchmarks.corpus import corpus_model, corpus_models
    from toolkit.bench import BenchOptions, bench_model
    from toolkit.devices.on_device import check_document, check_on_device
    from toolkit.model import load_model
    from toolkit.report.compare import compare_models
    from toolkit.report.latency import BenchPlan
    from toolkit.targets import check_model, load_registry
    from toolkit.targets.verify import VerifyOptions, verify_report

    face = corpus_model("mediapipe/face_detection_short_range.tflite")
    selfie = corpus_model("mediapipe/selfie_segmentation.tflite")
    wake = corpus_models("pymicro_wakeword/")[0]
    registry = load_registry()
    docs = []
    with load_model(face) as model:
        docs.append(check_model(model, [t.name for t in registry.all()]).to_dict())
    with load_model(wake) as model:
        targets = [registry.get(t) for t in ("cortex-m4", "host-x86_64", "android-arm64")]
        docs.append(verify_report(model, check_model(model, targets), targets,
                                  VerifyOptions(emulated=False)).to_dict())
        inventory = workdir / "devices.toml"
        inventory.write_text('[devices.here]\ntarget = "host-x86_64"\ntransport = "local"\n')
        report = check_model(model, ["cortex-m4"])
        docs.append(check_document(report, [check_on_device(wake, "here", inventory=inventory)]))
    for target in ("host-x86_64", "cortex-m4"):
        docs.append(bench_model(wake, registry.get(target), options=BenchOptions(runs=3, warmup=0)).to_dict())
    docs.append(compare_models(selfie, face, targets=["host-x86_64", "cortex-m4"]).to_dict())
    docs.append(compare_models(wake, wake, targets=["cortex-m4"],
                               bench=BenchPlan(rounds=2, runs=3, warmup=0)).to_dict())
    return [json.loads(json.dumps(d)) for d in docs]




def convert_seeds(workdir: Path) -> list[dict]:
    """Two real conversion reports (float with MCU and host targets, int8), when TensorFlow is installed."""
    from benchmarks.models import TOY_SOURCE
    from toolkit.convert import ConvertOptions
    from toolkit.convert.api import convert_many
    from toolkit.errors import ToolkitError

    source = workdir / "toy.py"
    source.write_text(TOY_SOURCE)
    items = [(f"{source}:net", workdir / "toy.tflite", ConvertOptions(targets=("cortex-m4", "host-x86_64"))),
             (f"{source}:net", workdir / "toy_int8.tflite", ConvertOptions(quantize="int8", targets=("cortex-m4",)))]
    try:
        results = convert_many(items, check_runtimes=("litert", "tflm"))
    except ToolkitError as exc:  # TensorFlow missing: the other documents still make the figure
        print(f"no convert documents: {exc}")
        return []
    return [json.loads(json.dumps(r.to_json())) for r in results if hasattr(r, "to_json")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=900)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=Path, help="a directory of real *.json documents to add to the seeds")
    parser.add_argument("--no-convert", action="store_true", help="no conversion reports (they need TensorFlow)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = seed_documents(Path(tmp)) + ([] if args.no_convert else convert_seeds(Path(tmp)))
    if args.seeds:
        seeds += [json.loads(p.read_text()) for p in sorted(args.seeds.glob("*.json"))]
    report = fuzz_documents(seeds, args.cases, args.seed)
    print(f"{report.cases} type-mutated documents ({len(seeds)} seeds): " +
          ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())))
    for schema, counts in sorted(report.by_schema.items()):
        print(f"  {schema}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for line in report.crashes + report.bad_refusals:
        print(f"  {line}")
    return 1 if report.outcomes["crashed"] or report.bad_refusals else 0


if __name__ == "__main__":
    raise SystemExit(main())
