"""Probed tables live in the user config dir (never the installed package) and win over the shipped ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.errors import ExitCode, MissingDependencyError, missing_dependency
from toolkit.paths import shipped_targets_dir, user_optables_dir
from toolkit.targets.optable import table_path
from toolkit.targets.probe import run_manifest


def test_shipped_dir_is_one_real_directory_of_package_data() -> None:
    """Descriptors and op tables live in the package itself: no symlink (Windows checkouts keep symlinks as
    text files), no second copy at the top of the checkout."""
    shipped = shipped_targets_dir()
    repo = Path(__file__).resolve().parents[2]
    assert shipped == repo / "toolkit" / "targets" / "shipped"
    assert shipped.is_dir() and not shipped.is_symlink()
    assert not [p for p in shipped.rglob("*") if p.is_symlink()]
    assert {"cortex-m4.toml", "host-x86_64.toml", "rpi4-arm64.toml"} <= {p.name for p in shipped.glob("*.toml")}
    assert json.loads((shipped / "optables" / "tflm.json").read_text())["runtime"]["name"] == "tflm"
    assert not (repo / "targets").exists()


def test_user_probed_table_is_read_before_the_shipped_one(_edgetk_home: Path) -> None:
    assert table_path("tflm.json") == shipped_targets_dir() / "optables" / "tflm.json"
    user = user_optables_dir()
    assert user.is_relative_to(_edgetk_home)
    (user).mkdir(parents=True, exist_ok=True)
    (user / "tflm.json").write_text(json.dumps({"runtime": {"name": "tflm", "version": "x"}, "ops": {}}))
    assert table_path("tflm.json") == user / "tflm.json"


def test_descriptor_local_table_beats_the_user_table(tmp_path: Path) -> None:
    (tmp_path / "optables").mkdir()
    (tmp_path / "optables" / "tflm.json").write_text("{}")
    user = user_optables_dir()
    user.mkdir(parents=True, exist_ok=True)
    (user / "tflm.json").write_text("{}")
    assert table_path("tflm.json", str(tmp_path / "board.toml")) == tmp_path / "optables" / "tflm.json"


def test_probe_of_a_runtime_that_does_not_import_is_a_missing_dependency(tmp_path: Path) -> None:
    """A Python without the runtime: one MissingDependencyError naming the pip command, no table rows."""
    isolated = [sys.executable, "-I", "-S"]  # no site-packages: neither tflite_runtime nor tflite_micro import
    try:
        run_manifest("tflite-runtime", [{"path": str(tmp_path / "x.tflite"), "mode": "kernel"}], isolated)
    except MissingDependencyError as exc:
        assert exc.exit_code == ExitCode.MISSING_DEPENDENCY
        assert "pip install 'edgetk[tflite-runtime]'" in exc.message
    else:
        raise AssertionError("probing a runtime that does not import must fail")


def test_only_known_optional_packages_become_missing_dependencies() -> None:
    assert "edgetk[tflm]" in missing_dependency("tflite_micro.python.tflite_micro").message
    assert "edgetk[convert]" in missing_dependency("tensorflow").message
    assert missing_dependency("my_own_module") is None
    assert missing_dependency(None) is None


@pytest.mark.cli  # a child Python running the CLI
def test_reading_a_model_without_the_schema_package_is_exit_3(tmp_path: Path) -> None:
    """Neither ai-edge-litert nor tflite-micro importable: every verb that reads a model says what to install."""
    model = tmp_path / "m.tflite"
    model.write_bytes(b"")
    script = ("import sys; sys.modules['ai_edge_litert'] = None; sys.modules['tflite_micro'] = None\n"
              "from toolkit.cli.main import main\n"
              f"sys.exit(main(['inspect', {str(model)!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "pip install ai-edge-litert==2.3.0" in proc.stderr and "internal error" not in proc.stderr
