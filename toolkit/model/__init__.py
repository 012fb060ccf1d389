"""Reading .tflite models (flatbuffers, mmap, no TensorFlow) and estimating their cost.

``load_model(path)`` returns a validated ``TfliteModel``; ``toolkit.model.cost.estimate_cost`` gives MACs,
FLOPs and bytes moved per operator.
"""

from toolkit.model.reader import load_model, parse_model
from toolkit.model.views import (
    INSPECT_SCHEMA,
    BufferExtent,
    Operator,
    Quantization,
    Signature,
    Subgraph,
    Tensor,
    TfliteModel,
)

__all__ = [
    "INSPECT_SCHEMA",
    "BufferExtent",
    "Operator",
    "Quantization",
    "Signature",
    "Subgraph",
    "Tensor",
    "TfliteModel",
    "load_model",
    "parse_model",
]
