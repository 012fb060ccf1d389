"""Plain, validated views of a .tflite model: what `check`, `bench`, `compare` and `inspect` read.

The reader (``toolkit.model.reader``) builds these once, after checking every index and every vector
bound, so users can index ``subgraph.tensors[i]`` without defending against a corrupt file. Weight data
is never copied: ``TfliteModel.buffer_data`` hands out a zero-copy view of the memory-mapped file.

The views are slotted dataclasses (one per tensor and op, built on every load) and emit `inspect --json`
with plain ``to_dict()``; the inspect document's Quantization, Tensor, Subgraph and Signature models are
generated from them (toolkit.model.documents), so each field is declared here once.
"""

from __future__ import annotations

import hashlib
import mmap
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

INSPECT_SCHEMA = "edgetk.inspect/1"


@dataclass(frozen=True, slots=True)
class Quantization:
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int

    @property
    def per_channel(self) -> bool:
        return len(self.scales) > 1

    def to_dict(self) -> dict[str, Any]:
        return {"scales": list(self.scales), "zero_points": list(self.zero_points),
                "quantized_dimension": self.quantized_dimension}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tensor:
    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    #: -1 marks a dynamic dimension; equals `shape` when absent
    shape_signature: tuple[int, ...] = field(metadata={
        "description": "-1 = dynamic; equals shape when the file has none"})
    quantization: Quantization | None
    buffer_index: int
    #: 0 for activations; > 0 for constants (weights)
    buffer_bytes: int = field(metadata={"description": "> 0: a constant (weights)"})
    is_variable: bool

    @property
    def is_constant(self) -> bool:
        return self.buffer_bytes > 0

    @property
    def is_dynamic(self) -> bool:
        return any(d < 0 for d in self.shape_signature)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "name": self.name, "dtype": self.dtype, "shape": list(self.shape),
            "shape_signature": list(self.shape_signature),
            "quantization": self.quantization.to_dict() if self.quantization else None,
            "buffer_index": self.buffer_index, "buffer_bytes": self.buffer_bytes, "is_variable": self.is_variable,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator. Its inspect document part (toolkit.model.documents.Operator) is declared by hand: it
    adds two derived flags (is_custom, is_flex) between stored fields and leaves out subgraph and
    opcode_index, in the key order `inspect --json` has always had."""

    index: int
    subgraph: int
    name: str  # builtin name ("CONV_2D") or the custom code ("FlexIgamma", "TFLite_Detection_PostProcess")
    builtin_code: int | None  # None for custom ops
    custom_code: str | None
    version: int
    inputs: tuple[int, ...]  # tensor indices; -1 marks an omitted optional input
    outputs: tuple[int, ...]
    opcode_index: int
    called_subgraphs: tuple[int, ...] = ()  # WHILE (cond, body), IF (then, else), CALL_ONCE (init), ...
    options: dict[str, Any] = field(default_factory=dict, hash=False)  # builtin options, snake_case keys

    @property
    def is_custom(self) -> bool:
        return self.builtin_code is None

    @property
    def is_flex(self) -> bool:
        return self.custom_code is not None and self.custom_code.startswith("Flex")

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "name": self.name, "builtin_code": self.builtin_code,
            "custom_code": self.custom_code, "version": self.version, "is_custom": self.is_custom,
            "is_flex": self.is_flex, "inputs": list(self.inputs), "outputs": list(self.outputs),
            "called_subgraphs": list(self.called_subgraphs), "options": self.options,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Subgraph:
    index: int
    name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "name": self.name, "inputs": list(self.inputs), "outputs": list(self.outputs),
            "tensors": [t.to_dict() for t in self.tensors], "operators": [o.to_dict() for o in self.operators],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Signature:
    key: str
    subgraph_index: int
    inputs: dict[str, int] = field(hash=False)  # signature name -> tensor index in that subgraph
    outputs: dict[str, int] = field(hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "subgraph_index": self.subgraph_index,
                "inputs": dict(self.inputs), "outputs": dict(self.outputs)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BufferExtent:
    """Where a buffer's bytes live in the file (inside the flatbuffer or appended after it)."""

    start: int
    nbytes: int


def _metadata_text(data: bytes) -> str | None:
    """Metadata shown as text when it is text (min_runtime_version), else None (CONVERSION_METADATA)."""
    stripped = data.rstrip(b"\0")
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None


class TfliteModel:
    """A loaded .tflite model. Holds the memory map open; `close()` (or `with`) releases it."""

    def __init__(
        self,
        *,
        path: Path,
        data: mmap.mmap | bytes,
        schema_version: int,
        producer: str | None,
        subgraphs: tuple[Subgraph, ...],
        signatures: tuple[Signature, ...],
        metadata: dict[str, bytes],
        buffers: tuple[BufferExtent, ...],
    ) -> None:
        self.path = path
        self._data = data
        self.size_bytes = len(data)
        self.schema_version = schema_version
        self.producer = producer
        self.subgraphs = list(subgraphs)
        self.signatures = list(signatures)
        self.metadata = metadata
        self.buffers = list(buffers)

    def __enter__(self) -> TfliteModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TfliteModel({str(self.path)!r}, {len(self.subgraphs)} subgraphs, {self.size_bytes} bytes)"

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap) and not self._data.closed:
            try:
                self._data.close()
            except BufferError:  # a caller still holds a buffer_data() view; the map dies with it
                pass

    @cached_property
    def sha256(self) -> str:
        """Hash of the file. Read with plain file reads so hashing does not fault the whole map into RSS."""
        if isinstance(self._data, mmap.mmap) and self.path.is_file():
            with open(self.path, "rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest()
        return hashlib.sha256(self._data).hexdigest()

    @property
    def main_subgraph(self) -> Subgraph:
        return self.subgraphs[0]

    def buffer_data(self, index: int) -> memoryview:
        """Zero-copy view of a buffer's bytes (weights); empty for activations and buffer 0."""
        extent = self.buffers[index]
        return memoryview(self._data)[extent.start : extent.start + extent.nbytes]

    def operators(self) -> list[Operator]:
        return [op for sg in self.subgraphs for op in sg.operators]

    def op_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.operators():
            counts[op.name] = counts.get(op.name, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def weights_bytes(self) -> int:
        return sum(b.nbytes for b in self.buffers)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document `edgetk inspect --json` prints (documented in docs/schemas/inspect.md)."""
        return {
            "schema": INSPECT_SCHEMA,
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "producer": self.producer,
            "schema_version": self.schema_version,
            "metadata": {k: {"bytes": len(v), "text": _metadata_text(v)} for k, v in self.metadata.items()},
            "op_counts": self.op_counts(),
            "buffers": {"count": len(self.buffers), "total_bytes": self.weights_bytes},
            "subgraphs": [sg.to_dict() for sg in self.subgraphs],
            "signatures": [s.to_dict() for s in self.signatures],
        }
