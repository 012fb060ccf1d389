"""The top of the HTML report: one row per model x target that a manager can read without the details.

Each row says the verdict and why, the headline latency with its provenance (measured / estimated /
emulated / host-run / software-gpu), the numerics verdict and memory against the target's budget. Evidence
beats prediction: where a bench ran the model, its outcome is the verdict and the check's prediction stands
beside it; a prediction the run contradicts is said loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolkit.provenance import ABSOLUTE_TIMINGS, HOST_RUN
from toolkit.report.sections import headline_row

SUMMARY_HEADERS = ["model", "target", "verdict", "why", "latency (p50)", "numerics", "memory vs budget"]


@dataclass
class SummaryRow:
    model: str
    target: str
    predicted: str | None = None  # the check's verdict
    verified_over: str | None = None  # check --verify: the static prediction its runtime tries replaced
    verified_wrong: bool = False  # check --verify: the tries contradicted that prediction
    ran: bool = False  # a bench ran it
    fits: bool = True  # no memory error from the bench or the check
    why: list[str] = field(default_factory=list)
    latency: str = "-"
    numerics: str = "-"
    memory: str = "-"
    compare: str | None = None  # compare: regression / improvement / unchanged
    numerics_failed: bool = False  # compare: outputs differ beyond tolerance (not quantization-aware)
    slower: bool = False  # compare: a latency regression (measured or estimated figure) on this target
    failed_in: str = ""  # compare: the run that saw the new model fail here ("bench" | "numerics")

    @property
    def verdict(self) -> str:
        if self.failed_in:
            wrong = self.predicted in ("runs", "delegate-fallback")
            seen = {"bench": "benchmarked"}.get(self.failed_in, f"{self.failed_in} run")
            return f"does-not-run ({seen})" + (f" — PREDICTION WRONG: check said {self.predicted}" if wrong else "")
        if self.ran:
            if not self.fits:
                return "does not fit (benchmarked)"
            if self.predicted and self.predicted not in ("runs", "delegate-fallback"):
                return f"runs (benchmarked) — PREDICTION WRONG: check said {self.predicted}"
            return "runs (benchmarked)"
        if self.predicted and self.verified_over:
            loud = f" — PREDICTION WRONG: check predicted {self.verified_over}" if self.verified_wrong else ""
            return f"{self.predicted} (verified here)" + loud
        if self.predicted:
            return f"{self.predicted} (predicted)"
        return self.compare or "-"

    @property
    def failing(self) -> bool:
        return (not self.fits) or bool(self.failed_in) or self.compare == "regression" or self.numerics_failed or (
            self.slower) or (
            not self.ran and self.predicted not in (None, "runs", "delegate-fallback"))

    def cells(self) -> list[str]:
        verdict = self.verdict + (f"; vs old: {self.compare}" if self.compare and (self.ran or self.predicted) else "")
        return [self.model, self.target, verdict, "; ".join(self.why[:2]) or "-", self.latency, self.numerics,
                self.memory]


def _kib(n: int | float) -> str:
    return f"{n / 1024:,.0f} KiB" if n < 2**20 * 10 else f"{n / 2**20:,.0f} MiB"


def _budget(target: str) -> tuple[int | None, int | None]:
    from toolkit.errors import ToolkitError
    from toolkit.targets import load_registry

    try:
        memory = load_registry().get(target).memory
    except ToolkitError:
        return None, None
    return memory.ram_bytes, memory.flash_bytes


def _memory(used: int | None, what: str, target: str) -> str:
    ram, _ = _budget(target)
    if used is None:
        return "-"
    if not ram:
        return f"{what} {_kib(used)} (no RAM budget in the descriptor)"
    return f"{what} {_kib(used)} of {_kib(ram)} RAM ({used / ram:.0%})"


def _latency(p50: float | None, timing: str) -> str:
    if p50 is None:
        return "-"
    note = "" if timing in ABSOLUTE_TIMINGS else ", relative only"
    return f"{p50:.4g} ms ({timing}{note})"


class _Rows(dict):
    def at(self, model: str, target: str) -> SummaryRow:
        return self.setdefault((model, target), SummaryRow(model, target))


def _from_check(rows: _Rows, doc: dict) -> None:
    model = Path(doc["model"]["path"]).name
    for res in doc["results"]:
        row = rows.at(model, res["target"])
        row.predicted = res["verdict"]
        if res.get("evidence") == "verified" and res.get("predicted_verdict"):  # --verify: its tries decided
            row.verified_over, row.verified_wrong = res["predicted_verdict"], bool(res.get("prediction_wrong"))
        errors = [f for f in res["findings"] if f.get("severity") == "error"]
        errors.sort(key=lambda f: f.get("rule") != "verified_does_not_run")  # the run's own words lead the why
        if any(f.get("rule") in ("arena_over_ram", "model_over_flash") for f in errors):
            row.fits = False
        row.why += [f["message"] for f in errors[:1]]
        if row.memory == "-" and res.get("arena_measured_bytes"):  # --verify's TFLM try on this host
            row.memory = _memory(res["arena_measured_bytes"], "arena", res["target"]) + f" ({HOST_RUN})"
        elif row.memory == "-" and res.get("arena_estimate_bytes"):
            row.memory = _memory(res["arena_estimate_bytes"], "arena ≈", res["target"]) + " (estimated)"


def _from_bench(rows: _Rows, doc: dict) -> None:
    from toolkit.provenance import document_latency

    for rec in doc.get("results") if isinstance(doc.get("results"), list) else [doc]:
        runner = rec.get("runner") or {}
        if not runner.get("latency_ms"):
            continue
        row = rows.at(Path((rec.get("model") or {}).get("path") or "?").name, rec.get("target") or "?")
        row.ran = True
        timing, head = document_latency(rec)
        row.latency = _latency(head.get("p50_ms"), head.get("timing", timing))
        if head.get("delegate") and row.latency != "-":  # a phone's GPU delegate, as benchmark_model said
            row.latency = row.latency[:-1] + f", {head['delegate']} delegate)"
        errors = [f for f in rec.get("findings", []) if f.get("severity") == "error"]
        if errors:
            row.fits = False
            row.why = [f["message"] for f in errors] + row.why
        outputs = runner.get("outputs") or []
        phone = runner.get("numerics")  # inference_diff on the phone (bench --accelerator gpu)
        acc = runner.get("accelerator")  # LiteRT's GPU accelerator on SwiftShader, here
        if acc:
            row.numerics = {True: "GPU vs LiteRT CPU within tolerance (software-gpu)",
                            False: "GPU outputs DIFFER from LiteRT CPU (software-gpu)",
                            }.get(acc.get("numerics_passed"), "GPU numerics not compared")
            if acc.get("coverage") == "partial":
                row.why.append(f"GPU partial: {', '.join(acc.get('ops_on_cpu') or [])} on the CPU (software-gpu)")
        elif phone:
            row.numerics = {True: "GPU vs CPU mean error within tolerance (inference_diff, measured)",
                            False: "GPU outputs DIFFER from the CPU (inference_diff, measured)",
                            }.get(phone.get("passed"), "GPU numerics not compared")
        elif outputs:
            finite = all(o.get("finite", True) for o in outputs)
            row.numerics = "outputs finite (random inputs)" if finite else "NON-FINITE outputs"
        arena = (runner.get("arena") or {}).get("total_bytes")
        if arena is not None:
            row.memory = _memory(arena, "arena", row.target) + f" ({timing})"  # TFLM here: host-run
        elif runner.get("peak_rss_bytes"):
            row.memory = _memory(runner["peak_rss_bytes"], "peak RSS", row.target) + f" ({timing})"


def _numerics_failed(doc: dict) -> bool:
    num = doc.get("numerics") or {}
    quantized = (doc.get("quantization") or {}).get("active")
    return not quantized and any(not d.get("within") for d in num.get("diffs", []))


def _numerics(doc: dict) -> str:
    num = doc.get("numerics")
    if not num:
        return "-"
    quant = doc.get("quantization") or {}
    worst = num.get("max_abs_vs_old")
    if worst is None:
        return "not compared"
    if quant.get("active"):
        return f"quantization drift: max abs {worst:.3g} vs the float model (expected; check accuracy)"
    bad = [d for d in num.get("diffs", []) if not d.get("within")]
    return f"{'DIFFERS' if bad else 'matches'} old: max abs {worst:.3g} (atol {num['atol']:g})"


def _from_compare(rows: _Rows, doc: dict) -> None:
    model = Path(doc["new"]["path"]).name
    for t in doc["targets"]:
        row = rows.at(model, t["target"])
        row.predicted = row.predicted or t.get("predicted_new_verdict") or t["new_verdict"]
        if t.get("evidence", "static") != "static" and t["new_verdict"] == "does-not-run":
            row.failed_in = t["evidence"]
        row.compare = t["change"]
        row.why += t.get("new_reasons", [])[:2]
        row.numerics = _numerics(doc)
        row.numerics_failed = _numerics_failed(doc)
    for lat in doc["latency"]:
        row = rows.at(model, lat["target"])
        row.ran = True
        row.numerics = _numerics(doc)
        row.numerics_failed = _numerics_failed(doc)
        p50, _, timing = headline_row(lat)
        row.latency = _latency(p50, timing) + f", x{lat['ratio']:.2f} vs old ({lat['verdict']})"
        row.slower = lat["verdict"] == "slower" and timing in ABSOLUTE_TIMINGS
        if row.slower:
            row.why.insert(0, f"slower than old beyond the threshold ({timing})")


def summary_rows(docs: list[dict]) -> list[SummaryRow]:
    rows = _Rows()
    for doc in docs:  # checks first, so a bench's evidence lands on the prediction
        if doc["schema"].startswith("edgetk.check"):
            _from_check(rows, doc)
    for doc in docs:
        if doc["schema"].startswith("edgetk.bench"):
            _from_bench(rows, doc)
        elif doc["schema"].startswith("edgetk.compare"):
            _from_compare(rows, doc)
    return list(rows.values())


def page_warnings(docs: list[dict]) -> list[str]:
    """Warnings that must not stay buried in a details section (random calibration, ...), each once."""
    seen: list[str] = []
    for doc in docs:
        items = []
        if doc["schema"].startswith("edgetk.convert"):
            items = [f"{Path(doc.get('output') or '?').name}: {w}" for w in doc.get("warnings") or []]
        elif doc["schema"].startswith("edgetk.compare"):
            items = [f["message"] for f in doc["findings"] if f["severity"] == "warning"]
            items += doc.get("warnings") or []
        seen += [w for w in items if w not in seen]
    return seen
