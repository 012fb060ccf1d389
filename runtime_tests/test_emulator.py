"""The emulated Raspberry Pi: images built for real (cached in the shared test cache), models run under qemu.

Each image is built once per cache (≈15 s each, then reused); every guest command is a real qemu-user
process running the image's own Python and runtimes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from runtime_tests.emulator_fixtures import INFER_SCRIPT, host_inference, tiny_models
from toolkit.emulator import archive_path, build_image, ensure_image, list_images, read_image
from toolkit.emulator.recipe import debian_mirror
from toolkit.errors import DeviceError, EmulatorImageError, MissingDependencyError
from toolkit.paths import shipped_targets_dir
from toolkit.transports.emulator import EmulatorTransport

pytestmark = [pytest.mark.slow, pytest.mark.device]

SHARED_CACHE = os.environ.get("EDGETK_TEST_CACHE", str(Path(__file__).resolve().parents[1] / ".venv" / "edgetk-cache"))
CASES = [
    ("arm64", "tflite-runtime", "float"),
    ("arm64", "tflite-runtime", "int8"),
    ("arm64", "litert", "float"),
    ("arm64", "litert", "int8"),
    ("armhf", "tflite-runtime", "float"),
    ("armhf", "tflite-runtime", "int8"),
]


@pytest.fixture(scope="session")
def images() -> dict[str, object]:
    os.environ["EDGETK_CACHE"] = SHARED_CACHE  # session fixtures run before the per-test env fixture
    return {alias: ensure_image(alias) for alias in ("arm64", "armhf")}


@pytest.fixture(scope="session")
def models() -> dict[str, Path]:
    os.environ["EDGETK_CACHE"] = SHARED_CACHE
    return tiny_models()


@pytest.fixture(scope="session")
def infer_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guest") / "infer.py"
    path.write_text(INFER_SCRIPT)
    return path


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache, for tests that build or break images without touching the shared ones."""
    monkeypatch.setenv("EDGETK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_both_images_are_listed_with_pinned_runtimes(images, run_cli) -> None:
    names = {i.name: i for i in list_images()}
    assert names["debian12-arm64"].versions["tflite-runtime"] == "2.14.0"
    assert names["debian12-arm64"].versions["ai-edge-litert"] == "2.3.0"
    assert names["debian12-armhf"].versions["tflite-runtime"] == "2.14.0"
    assert names["debian12-armhf"].versions["python"].startswith("3.11.")
    listed = json.loads(run_cli("emulator", "list", "--json").stdout)["images"]  # edgetk.emulator-images/1 (was a bare list)
    assert {i["name"]: i["machine"] for i in listed} == {"debian12-arm64": "aarch64", "debian12-armhf": "armv7l"}
    again = run_cli("emulator", "build", "all")
    assert again.returncode == 0 and again.stdout.count("already built") == 2


@pytest.mark.parametrize(("image", "runtime", "kind"), CASES, ids=["-".join(c) for c in CASES])
def test_guest_outputs_equal_the_host_reference(images, models, infer_script, image, runtime, kind) -> None:
    reference = host_inference(runtime, models[kind], infer_script)
    assert reference["machine"] == "x86_64"
    with EmulatorTransport(image) as device:
        script = device.put(infer_script)
        model = device.put(models[kind])
        result = device.run([*device.python_argv(), script, runtime, model], timeout=300)
    assert result.ok, result.stderr[-2000:]
    guest = json.loads(result.stdout.strip().splitlines()[-1])
    assert guest["machine"] == {"arm64": "aarch64", "armhf": "armv7l"}[image]
    assert guest["pi_model"] == images[image].pi_model
    atol = reference["scale"] if kind == "int8" else 1e-6  # one quantization step; float: rounding only
    np.testing.assert_allclose(guest["output"], reference["output"], rtol=1e-5, atol=atol)
    assert abs(sum(guest["output"]) - 1.0) < 0.02  # softmax


def test_guest_reads_the_pi_identity(images) -> None:
    code = "import platform; print(platform.machine()); print(open('/proc/cpuinfo').read().count('processor'))"
    with EmulatorTransport("armhf") as device:
        result = device.run([*device.python_argv(), "-c", code])
    assert result.stdout.split() == ["armv7l", "4"]


def test_put_is_cached_by_content(images, models) -> None:
    with EmulatorTransport("arm64") as device:
        first = Path(device.put(models["float"], "a.tflite"))
        second = Path(device.put(models["float"], "b.tflite"))
        assert (device.copies, device.cache_hits) in ((1, 1), (0, 2))  # (0, 2): an earlier test cached it
        assert first.stat().st_ino == second.stat().st_ino
        assert first.read_bytes() == models["float"].read_bytes()
        inode = first.stat().st_ino
    with EmulatorTransport("arm64") as device:
        third = Path(device.put(models["float"]))
        assert (device.copies, device.cache_hits) == (0, 1)
        assert third.stat().st_ino == inode


def test_hostile_file_name_arrives_intact_and_runs_nothing(images, tmp_path) -> None:
    name = "a b 'q' \"d\";$(touch canary) `touch canary2` |x&.bin"
    local = tmp_path / "payload.bin"
    local.write_bytes(b"payload \x00\xff bytes")
    code = "import hashlib, os, sys; print(os.path.basename(sys.argv[1])); print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())"
    with EmulatorTransport("arm64") as device:
        remote = device.put(local, name)
        result = device.run([*device.python_argv(), "-c", code, remote, "$(touch canary)"])
        work = device.work_dir
        assert result.ok, result.stderr
        assert sorted(p.name for p in work.iterdir()) == [name]
    import hashlib

    assert result.stdout.splitlines() == [name, hashlib.sha256(local.read_bytes()).hexdigest()]
    for where in (tmp_path, Path.cwd(), images["arm64"].root, images["arm64"].root / "tmp"):
        assert not (where / "canary").exists() and not (where / "canary2").exists()


def test_guest_signal_is_reported_and_outputs_can_be_fetched(images, tmp_path) -> None:
    code = "import os, signal; open('out.txt', 'w').write('written by the guest'); os.kill(os.getpid(), signal.SIGSEGV)"
    with EmulatorTransport("armhf") as device:
        result = device.run([*device.python_argv(), "-c", code])
        device.get(device.remote_path("out.txt"), tmp_path / "out.txt")
        device.get("out.txt", tmp_path / "relative.txt")  # relative: this run's work dir, as over ssh/adb
        device.get("/proc/device-tree/model", tmp_path / "model")
        with pytest.raises(DeviceError, match="no such file"):
            device.get(device.remote_path("missing"), tmp_path / "missing")
    assert (result.returncode, result.signal, result.ok) == (-11, "SIGSEGV", False)
    assert (tmp_path / "out.txt").read_text() == "written by the guest"
    assert (tmp_path / "relative.txt").read_text() == "written by the guest"
    assert (tmp_path / "model").read_bytes() == b"Raspberry Pi Zero 2 W Rev 1.0\0"


def test_timeout_kills_the_guest(images) -> None:
    with EmulatorTransport("arm64") as device:
        with pytest.raises(DeviceError, match="did not finish within 2 s"):
            device.run([*device.python_argv(), "-c", "import time; time.sleep(120)"], timeout=2)


def test_close_removes_the_work_dir_and_connect_removes_dead_runs(images) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = images["arm64"].root / "tmp" / f"edgetk-run-{dead.pid}-deadbeef"
    leftover.mkdir(exist_ok=True)
    (leftover / "model.tflite").write_bytes(b"x")
    device = EmulatorTransport("arm64")
    device.connect()
    work = device.work_dir
    assert work is not None and work.is_dir() and not leftover.exists()
    device.close()
    device.close()
    assert not work.exists()


def test_archive_restores_an_image_in_a_fresh_cache(images, private_cache, run_cli) -> None:
    shared_archive = Path(SHARED_CACHE) / "emulator" / "debian12-armhf.tar.zst"
    assert shared_archive.is_file()
    archive_path("armhf").parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared_archive, archive_path("armhf"))
    info = build_image("armhf")
    assert info.origin == "archive" and info.root.is_relative_to(private_cache)
    with EmulatorTransport("armhf", auto_build=False) as device:
        result = device.run([*device.python_argv(), "-c", "import tflite_runtime; print(tflite_runtime.__version__)"])
    assert result.stdout.strip() == "2.14.0"
    removed = run_cli("emulator", "rm", "armhf")
    assert removed.returncode == 0 and removed.stdout.strip() == "debian12-armhf: removed"
    assert read_image("armhf") is None and not archive_path("armhf").exists()


def test_failing_build_leaves_no_valid_looking_image(private_cache, monkeypatch, run_cli) -> None:
    monkeypatch.setenv("EDGETK_DEBIAN_MIRROR", f"file://{private_cache}/no-mirror/debian")
    with pytest.raises(EmulatorImageError, match="failed at mmdebstrap: E: The repository .*no-mirror"):
        build_image("armhf")
    assert read_image("armhf") is None and list_images() == []
    assert sorted(p.name for p in (private_cache / "emulator").iterdir()) == [".locks", "logs"]
    cli = run_cli("emulator", "build", "armhf")
    assert cli.returncode == 3 and "failed at mmdebstrap" in cli.stderr and len(cli.stderr.splitlines()) == 1
    with pytest.raises(MissingDependencyError, match="edgetk emulator build armhf"):
        EmulatorTransport("armhf", auto_build=False).connect()


def test_half_built_or_stale_image_counts_as_absent(private_cache) -> None:
    half = private_cache / "emulator" / "debian12-arm64"
    (half / "rootfs").mkdir(parents=True)
    assert read_image("arm64") is None
    (half / "manifest.json").write_text(json.dumps({"name": "debian12-arm64", "recipe": 0}))
    assert read_image("arm64") is None and list_images() == []


def test_missing_tool_names_the_apt_package(private_cache, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="apt-get install mmdebstrap"):
        build_image("arm64")


def test_mirror_comes_from_the_apt_sources(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EDGETK_DEBIAN_MIRROR", raising=False)
    deb822 = tmp_path / "debian.sources"
    deb822.write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb-src deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
    )
    one_line = tmp_path / "sources.list"
    one_line.write_text("# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m2.example/debian bookworm main\n")
    assert debian_mirror((deb822,)) == "http://mirror.example/debian"
    assert debian_mirror((tmp_path / "absent", one_line)) == "http://m2.example/debian"
    with pytest.raises(MissingDependencyError, match="EDGETK_DEBIAN_MIRROR"):
        debian_mirror((tmp_path / "absent",))
    monkeypatch.setenv("EDGETK_DEBIAN_MIRROR", "http://override.example/debian")
    assert debian_mirror((deb822,)) == "http://override.example/debian"


RUNNER = Path(__file__).resolve().parents[1] / "toolkit" / "runtimes" / "runner.py"
RUNNER_CASES = [("arm64", "tflite-runtime"), ("arm64", "litert"), ("armhf", "tflite-runtime")]


def _host_runner_outputs(runtime: str, model: Path, out: Path) -> np.lib.npyio.NpzFile:
    argv = [sys.executable, str(RUNNER), "--model", str(model), "--runtime", runtime, "--runs", "1", "--warmup", "0"]
    proc = subprocess.run([*argv, "--outputs-npz", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    return np.load(out)


@pytest.mark.parametrize(("image", "runtime"), RUNNER_CASES, ids=["-".join(c) for c in RUNNER_CASES])
def test_device_runner_in_the_image_matches_the_host(images, models, tmp_path, image, runtime) -> None:
    with EmulatorTransport(image) as device:
        runner = device.put(RUNNER)
        for kind, model in models.items():
            remote_npz = device.remote_path(f"{kind}.npz")
            argv = [runner, "--model", device.put(model), "--runtime", runtime, "--runs", "3", "--warmup", "1"]
            result = device.run([*device.python_argv(), *argv, "--outputs-npz", remote_npz], timeout=300)
            assert result.ok, result.stdout + result.stderr[-2000:]
            doc = json.loads(result.stdout)
            device.get(remote_npz, tmp_path / f"guest-{kind}.npz")
            guest = np.load(tmp_path / f"guest-{kind}.npz")
            host = _host_runner_outputs(runtime, model, tmp_path / f"host-{kind}.npz")
            np.testing.assert_array_equal(guest["input_0"], host["input_0"])  # same seeded inputs
            tolerance = 1 if kind == "int8" else 1e-5  # int8: one quantization step
            np.testing.assert_allclose(guest["output_0"].astype(float), host["output_0"].astype(float), atol=tolerance)
            project = {"litert": "ai-edge-litert"}.get(runtime, runtime)
            assert doc["runtime"] == {"name": runtime, "version": images[image].versions[project]}
            assert doc["device"]["arch"] == images[image].machine
            assert doc["device"]["board"] == images[image].pi_model
            stats = doc["latency_ms"]
            assert stats["runs"] == 3 and 0 < stats["min"] <= stats["p50"] <= stats["max"]


def test_arm64_tflite_runtime_has_the_same_kernels_as_x86(images) -> None:
    """The shipped op table was probed on x86; the aarch64 build of the same version must agree."""
    from toolkit.emulator.probe import probe_in_image, table_differences

    shipped = json.loads((shipped_targets_dir() / "optables" / "tflite-runtime.json").read_text())
    table = probe_in_image("tflite-runtime", "arm64")
    assert table["probed_on"]["machine"] == "aarch64" and shipped["probed_on"]["machine"] == "x86_64"
    assert table["runtime"] == shipped["runtime"]
    assert sum(e["status"] == "present" for e in table["ops"].values()) > 100
    assert table_differences(table, shipped) == {
        "kernels_only_a": [], "kernels_only_b": [], "dtypes_only_a": [], "dtypes_only_b": []
    }
