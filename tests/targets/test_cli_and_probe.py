"""`edgetk check` / `edgetk targets` as a user runs them (child processes), and the probe machinery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.targets.probe import probe_runtime, run_manifest


def test_check_exit_codes_json_and_junit(run_cli, builder_models: dict[str, Path], tmp_path: Path) -> None:
    ok = run_cli("check", builder_models["dequantize_int8"], "--target", "host-x86_64", "-t", "cortex-m4", "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["schema"] == "edgetk.check/1" and doc["all_run"] is True
    assert [(r["target"], r["verdict"]) for r in doc["results"]] == [("host-x86_64", "runs"), ("cortex-m4", "runs")]

    junit = tmp_path / "check.xml"
    bad = run_cli("check", builder_models["select_v1"], "--all-targets", "--json", "--junit", junit)
    assert bad.returncode == 1, bad.stderr
    verdicts = {r["target"]: r for r in json.loads(bad.stdout)["results"]}
    assert verdicts["cortex-m4"]["verdict"] == "does-not-run"
    assert verdicts["cortex-m4"]["findings"][0]["rule"] == "missing_kernel"
    assert verdicts["android-arm64"]["verdict"] == "delegate-fallback"
    assert verdicts["rpi4-arm64"]["verdict"] == "runs"
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert len(cases) == len(verdicts)
    failure = cases["select_v1.tflite on cortex-m4"].find("failure")
    assert failure is not None and "no kernel for SELECT" in failure.get("message")
    assert cases["select_v1.tflite on host-x86_64"].find("failure") is None


def test_check_bad_input_exits_2(run_cli, builder_models: dict[str, Path], tmp_path: Path) -> None:
    assert run_cli("check", builder_models["select_v1"]).returncode == 2  # no target named
    unknown = run_cli("check", builder_models["select_v1"], "-t", "pdp-11")
    assert unknown.returncode == 2 and "unknown target 'pdp-11'" in unknown.stderr
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a model at all")
    assert run_cli("check", junk, "--all-targets").returncode == 2


def test_bad_user_descriptor_exits_2_naming_file_and_key(run_cli, builder_models, tmp_path, monkeypatch) -> None:
    (tmp_path / "typo.toml").write_text('name = "typo"\nextends = "cortex-m4"\n[memory]\nram_kb = 1\n')
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(tmp_path))
    proc = run_cli("targets", "list")
    assert proc.returncode == 2 and "typo.toml: memory.ram_kb: unknown key" in proc.stderr


def test_flash_budget_from_user_descriptor(run_cli, builder_models, tmp_path, monkeypatch) -> None:
    (tmp_path / "tiny.toml").write_text('name = "tiny"\nextends = "cortex-m4"\n[memory]\nflash_bytes = 100\n')
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(tmp_path))
    proc = run_cli("check", builder_models["dequantize_int8"], "-t", "tiny", "--json")
    assert proc.returncode == 1
    [result] = json.loads(proc.stdout)["results"]
    assert [f["rule"] for f in result["findings"]] == ["model_over_flash"]


def test_check_does_not_import_tensorflow(builder_models: dict[str, Path]) -> None:
    code = ("import sys; from toolkit.cli.main import main; rc = main(['check', sys.argv[1], '--all-targets', '--json']);"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tflite_runtime', 'tflite_micro')];"
            "print(rc, bad)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code, str(builder_models["while_loop"])], capture_output=True,
                          text=True, timeout=120, env=os.environ.copy(), check=False)
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stderr


def test_targets_list_and_show_json(run_cli) -> None:
    listed = run_cli("targets", "list", "--json")
    assert listed.returncode == 0
    listing = json.loads(listed.stdout)  # an edgetk.targets/1 document (was a bare list)
    assert listing["schema"] == "edgetk.targets/1"
    assert {"cortex-m4", "rpi5-arm64"} <= {t["name"] for t in listing["targets"]}
    shown = json.loads(run_cli("targets", "show", "rpi5-arm64", "--json").stdout)
    assert shown["schema"] == "edgetk.target/1"
    assert shown["extends"] == "rpi4-arm64" and shown["reach"]["image"] == "debian12-arm64"
    assert shown["source_file"].endswith("rpi5-arm64.toml")


def test_shipped_tables_are_stamped_and_match_known_facts() -> None:
    from toolkit.paths import shipped_targets_dir

    tables = {p.stem: json.loads(p.read_text()) for p in (shipped_targets_dir() / "optables").glob("*.json")}
    assert set(tables) == {"litert", "tflite-runtime", "tflm", "litert-gpu"}  # + the measured GPU table (issue 11)
    gpu = tables.pop("litert-gpu")
    assert gpu["runtime"]["version"] == tables["litert"]["runtime"]["version"]
    assert gpu["backend"] == "litert-gpu-webgpu (SwiftShader)" and gpu["format"] == "edgetk.gpu-optable/1"
    for name, table in tables.items():
        assert table["runtime"]["name"] == name and table["runtime"]["version"] != "unknown"
        assert table["probe_date"] and table["edgetk_version"]
    tflm = tables["tflm"]
    assert {op for op in ("SELECT", "DENSIFY", "RANGE", "TOPK_V2") if tflm["ops"][op]["status"] == "missing"} == {
        "SELECT", "DENSIFY", "RANGE", "TOPK_V2"}
    assert "float16" in tflm["dtypes"]["DEQUANTIZE"]["rejected"] and "int8" in tflm["dtypes"]["DEQUANTIZE"]["accepted"]
    assert tables["litert"]["ops"]["SELECT"]["status"] == "present"


@pytest.mark.slow  # several seconds of real runtimes / processes: make test only
def test_probe_child_crash_is_recorded_and_probing_continues(tmp_path: Path) -> None:
    """A WHILE whose subgraph indices are garbage kills TFLM with SIGSEGV in Prepare (measured)."""
    from toolkit.targets.probe_models import kernel_probe_model

    crash = tmp_path / "while.tflite"
    crash.write_bytes(kernel_probe_model(119, 1))  # WHILE without subgraphs
    ok = tmp_path / "add.tflite"
    ok.write_bytes(kernel_probe_model(0, 1))
    entries = [{"path": str(crash), "mode": "kernel"}, {"path": str(ok), "mode": "kernel"}]
    run = run_manifest("tflm", entries)
    assert run.results[0][0] == "crashed" and run.restarts == 1
    assert run.results[1][0] == "present" and "failed to prepare" in run.results[1][1]  # kernel found, Prepare failed


@pytest.mark.slow
def test_probe_litert_measures_kernels_and_versions() -> None:
    table = probe_runtime("litert")
    ops = table["ops"]
    assert ops["CONV_2D"]["status"] == "present" and 1 in ops["CONV_2D"]["versions"]
    assert ops["STABLEHLO_ABS"]["status"] == "missing"
    assert table["dtypes"]["DEQUANTIZE"]["accepted"] == ["float16", "int8", "int16", "uint8"]
