"""Microcontroller targets on the TFLM host interpreter (PyPI tflite-micro) in a child process.

There is no MCU here: this transport runs the same runner locally with ``--runtime tflm``. What it
measures exactly is what TFLM itself decides — kernel availability, numerics and the arena size; its
timings are the host's, so bench adds an estimated MCU latency (toolkit.bench.mcu_estimate).
"""

from __future__ import annotations

from typing import Literal

from toolkit.transports.base import TransportEntry
from toolkit.transports.local import LocalTransport


class TflmEntry(TransportEntry):
    """TFLite Micro's host interpreter on this machine (no settings; not an inventory kind)."""

    transport: Literal["tflm"] = "tflm"


class TflmTransport(LocalTransport):
    kind = "tflm"
    runtime = "tflm"  # the runner's --runtime whatever the descriptor says (Transport.runtime)
