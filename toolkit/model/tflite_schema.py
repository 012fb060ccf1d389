"""The generated TFLite flatbuffer schema module — the one place that imports it.

ai-edge-litert (a core dependency) ships it; tflite-micro carries the same generated file. Reading a
.tflite file needs nothing else, so when neither is installed every verb that reads a model says which
`pip install` fixes it (exit 3) instead of failing with an internal error.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from toolkit.errors import MissingDependencyError, install_hint


@cache
def tflite_schema() -> ModuleType:
    """`schema_py_generated` from ai-edge-litert, else from tflite-micro; MissingDependencyError if neither."""
    try:
        from ai_edge_litert import schema_py_generated as mod
    except ImportError:
        try:
            from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as mod
        except ImportError:
            raise MissingDependencyError("the TFLite schema (package ai-edge-litert)",
                                         install_hint("ai_edge_litert")) from None
    return mod
