"""Real models through the local transport (LiteRT and tflite-runtime in child processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toolkit.bench import BenchOptions, bench_model
from toolkit.errors import BadInputError
from toolkit.targets import load_registry
from toolkit.transports import for_target
from toolkit.transports.local import LocalTransport

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="module")
def models() -> dict[str, Path]:
    from benchmarks.mlperf_tiny_models import ensure_models

    return ensure_models(("tiny-int8", "tiny-float", "kws"))


def _reference_outputs(model: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """LiteRT in this process, without XNNPACK: the host reference the device runs are compared with."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(
        model_path=str(model), experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    interp.allocate_tensors()
    for detail, array in zip(interp.get_input_details(), inputs, strict=True):
        interp.set_tensor(detail["index"], array)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


@pytest.mark.parametrize("runtime", ["litert", "tflite-runtime"])
@pytest.mark.parametrize("name", ["tiny-float", "tiny-int8"])
def test_local_bench_outputs_match_host_reference(models, tmp_path: Path, runtime: str, name: str) -> None:
    target = load_registry().get("host-x86_64")
    npz = tmp_path / "io.npz"
    result = bench_model(
        models[name], target, options=BenchOptions(runs=20, warmup=2, runtime=runtime, keep_outputs=npz, seed=3)
    )
    runner = result.runner
    assert runner["runtime"]["name"] == runtime and result.transport == "local" and not result.emulated
    lat = runner["latency_ms"]
    assert lat["runs"] == 20 and 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["std"] >= 0 and runner["init_ms"] > 0 and runner["peak_rss_bytes"] > 10 * 2**20
    assert runner["device"]["arch"] == "x86_64" and runner["device"]["cores"] >= 1
    with np.load(npz) as data:
        inputs, outputs = [data["input_0"]], [data["output_0"]]
    reference = _reference_outputs(models[name], inputs)
    if name == "tiny-float":
        np.testing.assert_allclose(outputs[0], reference[0], atol=1e-5)
    else:  # int8: kernels may differ by one quantization step
        assert np.abs(outputs[0].astype(int) - reference[0].astype(int)).max() <= 1
    assert runner["outputs"][0]["shape"] == [1, 4]


def test_same_seed_same_outputs_across_runtimes(models) -> None:
    target = load_registry().get("host-x86_64")
    digests = {
        rt: bench_model(models["kws"], target, options=BenchOptions(runs=2, warmup=0, runtime=rt, xnnpack=False))
        .runner["outputs"][0]["sha256"]
        for rt in ("litert", "tflite-runtime")
    }
    assert digests["litert"] == digests["tflite-runtime"]


def test_local_transport_put_is_content_cached_and_cleaned(tmp_path: Path) -> None:
    src = tmp_path / "blob.bin"
    src.write_bytes(b"x" * 1000)
    transport = LocalTransport(root=tmp_path / "root")
    with transport:
        remote = Path(transport.put(src))
        assert remote.read_bytes() == src.read_bytes()
        assert len(list((tmp_path / "root" / "blobs").iterdir())) == 1
        transport.put(src, "again.bin")
        assert len(list((tmp_path / "root" / "blobs").iterdir())) == 1  # same content, stored once
        result = transport.run([*transport.python_argv(), "-c", "import os; print(sorted(os.listdir()))"])
        assert result.ok and "again.bin" in result.stdout
        workdir = transport.workdir
    assert workdir is not None and not workdir.exists()


def test_connect_removes_run_dirs_of_dead_processes_only(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    runs = tmp_path / "root" / "runs"
    runs.mkdir(parents=True)
    (runs / f"run-{dead.pid}-abc").mkdir()
    (runs / f"run-{dead.pid}-abc" / "model.tflite").write_bytes(b"x")
    (runs / "run-1-alive").mkdir()  # PID 1 is always alive
    (runs / "keep-me").mkdir()
    with LocalTransport(root=tmp_path / "root") as transport:
        own = transport.workdir
        assert own is not None
        assert sorted(p.name for p in runs.iterdir()) == sorted(["run-1-alive", "keep-me", own.name])


def test_put_names_stay_inside_the_run_dir(tmp_path: Path) -> None:
    src = tmp_path / "blob.bin"
    src.write_bytes(b"x")
    with LocalTransport(root=tmp_path / "root") as transport:
        for name in ("../escaped.bin", "sub/dir.bin", ".."):
            with pytest.raises(BadInputError, match="plain file name"):
                transport.put(src, name)
    assert not (tmp_path / "root" / "runs" / "escaped.bin").exists()


def test_child_killed_by_signal_is_reported(tmp_path: Path) -> None:
    with LocalTransport(root=tmp_path / "root") as transport:
        result = transport.run([*transport.python_argv(), "-c", "import os, signal; os.kill(os.getpid(), signal.SIGABRT)"])
    assert result.signal == "SIGABRT" and not result.ok


def test_for_target_dispatch() -> None:
    reg = load_registry()
    assert for_target(reg.get("host-x86_64")).kind == "local"
    assert for_target(reg.get("cortex-m4")).kind == "tflm"
