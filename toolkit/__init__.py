"""edgetk: convert, inspect, check, bench and compare TensorFlow Lite / LiteRT models for on-device use.

The library functions behind each CLI verb live in their subpackages (``toolkit.model``,
``toolkit.targets``, ``toolkit.bench``, ``toolkit.convert``, ``toolkit.report``); importing this
package imports none of them, so ``edgetk inspect`` never pays for TensorFlow.
"""

__version__ = "0.1.0"
