"""Published MCU latencies the MCU estimate is calibrated on (and validated against), each with its source.

Latency = 1000 / the "Median throughput" (inf./sec.) of each MLPerf Tiny results file
(``<division>/<submitter>/results/<system>/<benchmark>/performance/results.txt`` of the
mlcommons/tiny_results_vX.Y repositories), or the millisecond figure a vendor README publishes.
``core`` names the edgetk descriptor whose ``cpu`` (macs_per_cycle) stands for the board's core; the clock
is the board's as published. ``use`` is "fit" (calibration), "validate" (never fitted: held out) or "excluded" (listed, not used: why
is said where it is defined). The MobileNetV3-Small figures are
"validate": their arena was in SPIRAM, not the internal SRAM the esp32-s3 descriptor (and PD figure) use.
docs/MCU_ESTIMATE.md tabulates the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedLatency:
    model: str  # benchmarks.mlperf_tiny_models name
    ms: float
    board: str
    clock_hz: float
    core: str  # edgetk descriptor name of the core
    kernel_class: str  # toolkit.bench.mcu_estimate KERNEL_CLASSES name
    source: str
    runtime: str
    use: str = "fit"


def _mlperf(throughput: dict[str, float], **fields: object) -> list[PublishedLatency]:
    return [PublishedLatency(model=m, ms=round(1000.0 / t, 4), **fields) for m, t in throughput.items()]  # type: ignore[arg-type]


_V05_REF = "MLPerf Tiny v0.5, closed/reference, results/Nucleo-L4R5ZI"
_V10_OCTO = "MLPerf Tiny v1.0, closed/OctoML, results/microtvm_cmsis_nn/{board} (same figures in v1.1 closed/Krai)"
_V07_RENESAS = "MLPerf Tiny v0.7, closed/renesas, results/EK-RA6M4"
_V12_RENESAS = "MLPerf Tiny v1.2, closed/Renesas, results/EK-RA8D1"
_ESP_TFLM = "espressif/esp-tflite-micro README 'Performance Comparison' (commit 99f49e1) and espressif/esp-nn README v1.2.3"
_ESP_NN = "espressif/esp-nn README v1.2.3 'Model-level performance' (TensorArena in SPIRAM)"
_ARDUINO = ("Arduino blog, 'Optimizing a low-cost camera for machine vision' (Arduino Team, 2021-02-09, "
            "blog.arduino.cc/2021/02/09/optimizing-a-low-cost-camera-for-machine-vision): person_detection on the "
            "Arduino Nano 33 BLE, 'from 19 seconds to just 1.2 seconds' with CMSIS-NN")
_TINYENGINE = ("academic, not MLPerf or vendor: mit-han-lab/tinyengine README 'Measured Results' (updated 2022/12), "
               "STM32H743 (512 KB SRAM limit, 2 MB flash), -Ofast, TF-Lite Micro @ 713b6ed and CMSIS-NN @ 011bf32 "
               "columns; clock not stated (480 MHz, the H743's maximum, assumed)")
_NXP_KWS = ("NXP MCUXpresso SDK 2.16 boards/evkmimxrt1060/eiq_examples/tflm_kws/readme.md 'Running the demo' log "
            "(board vendor; eIQ TFLM with CMSIS-NN for per-channel int8; DS-CNN-S from ARM ML-KWS-for-MCU)")
_ONE_7598 = ("community measurement, not MLPerf or vendor: github.com/Samsung/ONE issue #7598, comment of 2021-09-15 "
             "(person_detection on NUCLEO-F413ZH, TFLM with and without CMSIS_NN)")

PUBLISHED: tuple[PublishedLatency, ...] = (
    # The v0.5 "reference" submission built TFLM v2.3.1 WITH CMSIS-NN: every
    # closed/reference/code/reference_submissions/*/setup_example.sh sets TF_MAKE_TAGS="cmsis-nn" (mlcommons/tiny
    # PRs #34 and #44, March 2021: "Runtime down from ~8s to much less than 1s per inference"). Its CMSIS-NN is the
    # 2020 release TF 2.3.1 downloads, 1.2-2x slower than the 2022 one on the same board (rows below), so it is
    # kept out of the fit ("excluded"), not mistaken for reference kernels.
    *_mlperf({"kws": 5.497, "vww": 1.665, "ic": 1.420, "ad": 99.487}, board="Nucleo-L4R5ZI (v0.5)", clock_hz=120e6,
             core="cortex-m4", kernel_class="cmsis-nn/dsp", source=_V05_REF,
             runtime="TFLM v2.3.1 + CMSIS-NN (TF 2.3.1's 2020 download)", use="excluded"),
    # CMSIS-NN kernels (SHA 51263182) called from microTVM's AOT executor (TVM e3a6cb6): no TFLM interpreter
    *_mlperf({"kws": 10.019, "vww": 3.320, "ic": 2.567, "ad": 116.212}, board="NUCLEO-L4R5ZI", clock_hz=120e6,
             core="cortex-m4", kernel_class="cmsis-nn/dsp", source=_V10_OCTO.format(board="NUCLEO_L4R5ZI"),
             runtime="microTVM + CMSIS-NN 51263182"),
    *_mlperf({"kws": 13.143, "vww": 4.310, "ic": 3.163, "ad": 159.579}, board="nRF5340-DK", clock_hz=128e6,
             core="cortex-m33", kernel_class="cmsis-nn/dsp", source=_V10_OCTO.format(board="NRF5340-DK"),
             runtime="microTVM + CMSIS-NN 51263182"),
    # TFLM + CMSIS-NN on a Cortex-M33 @ 200 MHz: kept out of every fit, to validate the cmsis-nn/dsp class
    *_mlperf({"kws": 19.774, "vww": 6.159, "ic": 4.062, "ad": 216.772}, board="EK-RA6M4", clock_hz=200e6,
             core="cortex-m33", kernel_class="cmsis-nn/dsp", source=_V07_RENESAS,
             runtime="TFLM + CMSIS (Renesas FSP)", use="validate"),
    # TFLM + CMSIS-NN (Helium) on a Cortex-M85 @ 480 MHz
    *_mlperf({"kws": 288.611, "vww": 74.665, "ic": 117.948, "ad": 1884.138}, board="EK-RA8D1", clock_hz=480e6,
             core="cortex-m85", kernel_class="cmsis-nn/mve", source=_V12_RENESAS,
             runtime="TFLM + CMSIS (Renesas FSP), LLVM Embedded Toolchain 17.0.1"),
    # ESP32-S3 @ 240 MHz, esp-tflite-micro: TFLM with and without ESP-NN
    PublishedLatency("pd", 2300.0, "ESP32-S3", 240e6, "esp32-s3", "reference/xtensa-lx7", _ESP_TFLM,
                     "esp-tflite-micro, ESP-NN disabled (reference kernels), internal RAM"),
    PublishedLatency("mnv3s", 26000.0, "ESP32-S3", 240e6, "esp32-s3", "reference/xtensa-lx7", _ESP_NN,
                     "esp-tflite-micro, ESP-NN disabled (reference kernels), arena in SPIRAM", use="validate"),
    PublishedLatency("pd", 54.0, "ESP32-S3", 240e6, "esp32-s3", "esp-nn/esp32-s3", _ESP_TFLM,
                     "esp-tflite-micro + ESP-NN, internal RAM"),
    PublishedLatency("mnv3s", 1434.0, "ESP32-S3", 240e6, "esp32-s3", "esp-nn/esp32-s3", _ESP_NN,
                     "esp-tflite-micro + ESP-NN, arena in SPIRAM", use="validate"),
    # The board vendor's TFLM person_detection figure on the Nano 33 BLE (nRF52840, Cortex-M4F @ 64 MHz): 19 s before
    # TFLM used the optimized CMSIS-NN, i.e. reference kernels (its 1.22 G cycles are the NUCLEO-F413ZH reference
    # figure's 1.30 G within 7 %); the one vendor reference-kernel figure on a Cortex-M found. Its 1.2 s "after" is the
    # early-2021 CMSIS-NN (77 M cycles: v0.5's 2020 CMSIS-NN VWW takes 72 M, the 2021 F413ZH build 39 M): excluded.
    PublishedLatency("pd", 19000.0, "Arduino Nano 33 BLE", 64e6, "cortex-m4f", "reference/cortex-m", _ARDUINO,
                     "TFLM (Arduino_TensorFlowLite, 2020), reference kernels"),
    PublishedLatency("pd", 1200.0, "Arduino Nano 33 BLE", 64e6, "cortex-m4f", "cmsis-nn/dsp", _ARDUINO,
                     "TFLM (Arduino_TensorFlowLite, Feb 2021) + the CMSIS-NN of then", use="excluded"),
    # The other reference-kernel figure on a Cortex-M found, and a community one: validation only, never fitted
    PublishedLatency("pd", 13005.446, "NUCLEO-F413ZH", 100e6, "cortex-m4", "reference/cortex-m", _ONE_7598,
                     "TFLM (2021), reference kernels; clock: the F413 maximum and mbed default (not stated)", use="validate"),
    PublishedLatency("pd", 386.595, "NUCLEO-F413ZH", 100e6, "cortex-m4", "cmsis-nn/dsp", _ONE_7598,
                     "TFLM (2021) + CMSIS_NN", use="validate"),
    # The board vendor's TFLM KWS log on an i.MX RT1060 (Cortex-M7 @ 600 MHz): excluded, its build's linker script
    # (MIMXRT1062xxxxx_flexspi_nor_sdram) places every zero-initialised array, the tensor arena too, and the stack
    # in external SDRAM (0x80000000), not the SRAM the cortex-m7 descriptor describes; the log is also the same
    # "32 ms" in every SDK release's readme, beside a description of a uint8 model (not re-measured per release).
    PublishedLatency("kws", 32.0, "i.MX RT1060 (SDRAM)", 600e6, "cortex-m7", "cmsis-nn/dsp", _NXP_KWS,
                     "eIQ TFLM + CMSIS-NN, arena and stack in SDRAM", use="excluded"),
    # The one Cortex-M7 set with the arena in SRAM: MCUNet's ImageNet models (benchmarks/mcunet_models.py) on an
    # STM32H743, timed by the TinyEngine authors (academic, and the authors of a competing engine: validation only).
    # "TF-Lite Micro" is TFLM's own kernels (reference: 10-12x the CMSIS-NN column, same arena size); "CMSIS-NN"
    # is TFLM with the CMSIS-NN kernels (its peak SRAM is TFLM's, not an engine of its own).
    *(PublishedLatency(m, ms, "STM32H743", 480e6, "cortex-m7", "reference/cortex-m", _TINYENGINE,
                       "TFLM @ 713b6ed (2022), reference kernels", use="validate")
      for m, ms in {"mcunet-in0": 586.0, "mcunet-in1": 1227.0, "mcunet-in2": 6463.0, "mcunet-in3": 7821.0}.items()),
    *(PublishedLatency(m, ms, "STM32H743", 480e6, "cortex-m7", "cmsis-nn/dsp", _TINYENGINE,
                       "TFLM @ 713b6ed + CMSIS-NN @ 011bf32 (2022)", use="validate")
      for m, ms in {"mcunet-in0": 51.0, "mcunet-in1": 103.0, "mcunet-in2": 642.0, "mcunet-in3": 770.0}.items()),
)
