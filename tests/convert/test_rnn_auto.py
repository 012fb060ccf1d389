"""`--rnn auto`: which LSTM form it picks per target and quantization mode (no TensorFlow involved)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from toolkit.convert.api import resolve_rnn_auto
from toolkit.targets import load_registry

MCU_TARGETS = ("cortex-m4", "cortex-m7", "esp32-s3")


@pytest.mark.parametrize("quantize", ["int8", "int16x8"])
@pytest.mark.parametrize("targets", [(), ("host-x86_64",), ("cortex-m4",), ("cortex-m7", "host-x86_64")])
def test_full_integer_quantization_always_picks_fused(quantize: str, targets: tuple[str, ...]) -> None:
    form, why = resolve_rnn_auto(targets, quantize)
    assert form == "fused"
    assert f"--quantize {quantize}" in why and "segfault" in why


@pytest.mark.parametrize("quantize", ["none", "dynamic", "float16"])
def test_float_output_follows_the_targets_measured_preference(quantize: str) -> None:
    assert resolve_rnn_auto(("host-x86_64",), quantize) == ("loop", "--rnn auto → loop (host-x86_64 prefers loop)")
    for target in MCU_TARGETS:
        assert resolve_rnn_auto((target,), quantize) == ("fused", f"--rnn auto → fused ({target} prefers fused)")


def test_mcu_descriptors_record_the_measured_float_winner() -> None:
    registry = load_registry()
    assert {t: registry.get(t).rnn.prefer for t in MCU_TARGETS} == dict.fromkeys(MCU_TARGETS, "fused")
    source = Path(registry.get("cortex-m4").source_file).read_text()
    assert "2.70-2.73 ms" in source and "32,640 vs 62,960 bytes" in source  # the comment cites the measurement


def test_other_targets_keep_their_preference_and_fused_wins_a_mix() -> None:
    assert resolve_rnn_auto(("rpi4-arm64",))[0] == "fused"
    form, why = resolve_rnn_auto(("host-x86_64", "rpi4-arm64"))
    assert form == "fused" and "host-x86_64 prefers loop" in why and "rpi4-arm64 prefers fused" in why
    assert resolve_rnn_auto(())[0] == "loop"


_DESCRIPTOR = """
name = "{name}"
[runtime]
name = "{runtime}"
version = "1"
op_table = "{runtime}.json"
[cpu]
arch = "x"
cores = 1
clock_hz = 1e8
macs_per_cycle = 1.0
[reach]
transport = "{transport}"
"""


def test_targets_without_a_preference_fall_back_by_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, runtime, transport in (("my-mcu", "tflm", "tflm"), ("my-pi", "tflite-runtime", "ssh"),
                                     ("my-host", "litert", "local")):  # fmt: skip
        (tmp_path / f"{name}.toml").write_text(_DESCRIPTOR.format(name=name, runtime=runtime, transport=transport))
    monkeypatch.setenv("EDGETK_TARGETS_PATH", str(tmp_path))
    assert resolve_rnn_auto(("my-mcu",)) == ("fused", "--rnn auto → fused (my-mcu runs tflm: fused)")
    assert resolve_rnn_auto(("my-pi",))[0] == "fused"
    assert resolve_rnn_auto(("my-host",)) == ("loop", "--rnn auto → loop (my-host runs LiteRT+XNNPACK: loop)")
    assert resolve_rnn_auto(("my-host",), "int16x8")[0] == "fused"
    assert "tensorflow" not in sys.modules  # the rule is decided before any TensorFlow work
