"""The library functions the CLI calls, called directly: the same documents, exit codes and refusals as the
commands, on real runtimes (LiteRT on this host through the local transport) and a third-party model."""

from __future__ import annotations

import io
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from benchmarks.corpus import corpus_model
from toolkit.bench import BenchOptions
from toolkit.bench.bench_run import BenchRequest, BenchRun, FleetRun, run_bench
from toolkit.devices.check_run import CheckRequest, run_check
from toolkit.errors import BadInputError, ConversionError, ExitCode, UnknownNameError

MODEL = "mediapipe/selfie_segmentation.tflite"


class RecordingProgress:
    """A BenchProgress that remembers what it was told."""

    def __init__(self) -> None:
        self.busy_messages: list[str] = []
        self.events: list[tuple[str, str, bool]] = []

    def busy(self, message: str):  # noqa: ANN201 - a context manager
        from contextlib import nullcontext

        self.busy_messages.append(message)
        return nullcontext()

    def device(self, name: str, status: str, done: bool) -> None:
        self.events.append((name, status, done))


@pytest.fixture()
def model() -> Path:
    return corpus_model(MODEL)


@pytest.fixture()
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "devices.toml"
    path.write_text("".join(f'[devices.{n}]\ntarget = "host-x86_64"\ntransport = "local"\n\n' for n in ("a", "b")))
    return path


@pytest.mark.slow  # seconds of real runtimes (two benches; LiteRT tried by --verify)
def test_run_bench_stores_the_result_and_compares_with_the_previous_one(model: Path, tmp_path: Path) -> None:
    db, progress = tmp_path / "results.db", RecordingProgress()
    request = BenchRequest(model, target="host-x86_64", options=BenchOptions(runs=3, warmup=1), db=db)
    first = run_bench(request, progress)
    assert isinstance(first, BenchRun) and first.exit_code == 0
    doc = first.document()
    assert doc["schema"] == "edgetk.bench/1" and doc["id"] == first.record_id == 1
    assert doc["previous"] is None and doc["timing"] == "measured" and doc["runner"]["latency_ms"]["runs"] == 3
    assert progress.busy_messages == ["benchmarking selfie_segmentation.tflite on host-x86_64: 1 warm-up + 3 "
                                      "timed runs"]
    second = run_bench(request).document()
    assert second["id"] == 2 and second["previous"]["verdict"] in ("faster", "slower", "same")


def test_run_bench_keeps_a_finished_result_when_the_store_fails(model: Path, tmp_path: Path) -> None:
    db = tmp_path / "a-directory.db"
    db.mkdir()
    run = run_bench(BenchRequest(model, target="host-x86_64", options=BenchOptions(runs=2, warmup=0), db=db))
    assert run.exit_code == ExitCode.NOT_STORED and run.stored.error
    assert run.document()["id"] is None and run.document()["runner"]["latency_ms"]["runs"] == 2


def test_run_bench_refuses_bad_options_before_anything_runs(model: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown runtime 'tpu'"):
        run_bench(BenchRequest(model, target="host-x86_64", options=BenchOptions(runtime="tpu")))
    with pytest.raises(BadInputError, match=r"--target is required \(e\.g\. --target host-x86_64 for this machine;"):
        run_bench(BenchRequest(model))
    with pytest.raises(BadInputError, match="--per-op times ops"):
        run_bench(BenchRequest(model, target="host-x86_64", options=BenchOptions(per_op=True, accelerator="gpu")))
    assert not (tmp_path / "results.db").exists()


def test_run_bench_on_a_fleet_reports_every_device_and_stores_each(model: Path, inventory: Path,
                                                                   tmp_path: Path) -> None:
    progress = RecordingProgress()
    run = run_bench(BenchRequest(model, all_devices=True, inventory=inventory, db=tmp_path / "r.db",
                                 options=BenchOptions(runs=2, warmup=0)), progress)
    assert isinstance(run, FleetRun) and run.exit_code == 0
    doc = run.document()
    assert [d["device"] for d in doc] == ["a", "b"] and all(d["ok"] for d in doc)
    assert sorted(d["id"] for d in doc) == [1, 2]
    assert all(d["result"]["runner"]["latency_ms"]["runs"] == 2 for d in doc)
    assert progress.events[:2] == [("a", "queued", False), ("b", "queued", False)]  # every line before any runs
    done = {name: status for name, status, finished in progress.events if finished}
    assert set(done) == {"a", "b"} and all(s.startswith("p50 ") and "(measured)" in s for s in done.values())


def test_fleet_with_an_unknown_target_fails_that_device_only(model: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "devices.toml"
    inventory.write_text('[devices.a]\ntarget = "host-x86_64"\ntransport = "local"\n\n'
                         '[devices.b]\ntarget = "no-such-target"\ntransport = "local"\n')
    run = run_bench(BenchRequest(model, devices=("a", "b"), inventory=inventory, store=False,
                                 options=BenchOptions(runs=2, warmup=0)))
    assert [r.ok for r in run.results] == [True, False]
    assert run.exit_code == ExitCode.BAD_INPUT and "no-such-target" in run.results[1].error
    assert run.document()[1]["result"] is None and run.stored is None


@pytest.mark.slow  # seconds of real runtimes (two benches; LiteRT tried by --verify)
def test_run_check_static_verified_and_on_a_device_in_one_document(model: Path, inventory: Path) -> None:
    run = run_check(CheckRequest(model, targets=("cortex-m4", "host-x86_64"), devices=("a",), inventory=inventory))
    doc = run.document()
    assert doc["schema"] == "edgetk.check/1"
    assert [r["target"] for r in doc["results"][:2]] == ["cortex-m4", "host-x86_64"]
    assert doc["results"][0]["verdict"] == "does-not-run" and doc["results"][1]["verdict"] == "runs"
    device = doc["results"][2]
    assert device["device"] == "a" and device["observed"]["verdict"] == "runs"
    assert run.exit_code == ExitCode.VERDICT_FAILED  # cortex-m4 cannot run it (float16 DEQUANTIZE, arena)
    only_host = run_check(CheckRequest(model, targets=("host-x86_64",), verify=True))
    assert only_host.exit_code == 0 and only_host.report.results[0].evidence == "verified"


def test_run_check_needs_something_to_check(model: Path) -> None:
    with pytest.raises(BadInputError, match="name at least one --target or --device"):
        run_check(CheckRequest(model))


def test_run_convert_refuses_toco_options_before_any_conversion(tmp_path: Path) -> None:
    from toolkit.convert import ConvertOptions
    from toolkit.convert.convert_run import run_convert

    out = tmp_path / "m.tflite"
    with pytest.raises(BadInputError, match="supports --quantize none|dynamic"):
        run_convert("missing.h5", out, ConvertOptions(quantize="int8"), legacy="both")
    with pytest.raises(BadInputError, match="--legacy-output needs --both"):
        run_convert("missing.h5", out, ConvertOptions(), legacy_output=tmp_path / "t.tflite")
    assert not out.exists()


def test_a_toco_refusal_is_the_failure_under_legacy_and_a_finding_under_both(tmp_path: Path) -> None:
    from toolkit.convert.convert_run import ConvertRun
    from toolkit.convert.legacy import LegacyFinding, LegacyResult
    from toolkit.convert.options import ConversionReport

    refused = LegacyResult(False, "lstm.h5", None, None, "2.17.1",
                           [LegacyFinding("needs-flex-ops", "needs TensorListReserve", ["TensorListReserve"])])
    alone = ConvertRun("lstm.h5", tmp_path / "t.tflite", None, refused)
    failure = alone.failure()
    assert isinstance(failure, ConversionError) and failure.exit_code == ExitCode.CONVERSION_FAILED
    assert alone.document()["schema"] == "edgetk.legacy-convert/1"
    beside = ConvertRun("lstm.h5", tmp_path / "m.tflite", ConversionReport("lstm.h5", "m.tflite", "keras"), refused)
    assert beside.failure() is None
    assert beside.document()["legacy"]["findings"][0]["ops"] == ["TensorListReserve"]


def test_plain_device_lines_skip_queued_and_are_inert() -> None:
    from toolkit.report.progress import DeviceStatusLines

    err = io.StringIO()
    with redirect_stderr(err), DeviceStatusLines(live=False) as lines:
        lines.update("a", "queued")
        lines.update("a", "running on local (host-x86_64)")
        lines.update("a", "FAILED: \x1b]0;pwned\x07no runtime", True)
    text = err.getvalue()
    assert text.splitlines()[0] == "a: running on local (host-x86_64)"
    assert "queued" not in text and "\x1b" not in text and "FAILED" in text
