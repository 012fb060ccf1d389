"""The inspect document (``edgetk.inspect/1``: `inspect --json`, `inspect --json --ops-only`) as typed models.

docs/schemas/inspect.schema.json is generated from them (`make docs`) and a test validates real `inspect`
output on corpus models. Prose: docs/schemas/inspect.md. Nothing here reads a model; emitting stays the
views' plain ``to_dict()`` so `inspect` of a large model pays nothing for validation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from toolkit.documents import Strict, model_of
from toolkit.model import cost, views

#: generated from the model views (toolkit.model.views), all but Operator (see there): one declaration per field
Quantization = model_of(views.Quantization)
Tensor = model_of(views.Tensor, types={"quantization": Quantization | None})


class Operator(Strict):
    index: int
    name: str = Field(description="builtin name, or the custom code for custom ops")
    builtin_code: int | None = Field(description="max(deprecated_builtin_code, builtin_code); null when custom")
    custom_code: str | None
    version: int
    is_custom: bool
    is_flex: bool
    inputs: list[int] = Field(description="tensor indices; -1 = omitted optional input")
    outputs: list[int]
    called_subgraphs: list[int] = Field(description="WHILE [cond, body], IF [then, else], CALL_ONCE [init]")
    options: dict[str, Any] = Field(description="builtin options, snake_case, enums as ints")


# name: null allowed, as the schema was first published (the reader writes "" for a subgraph without one)
Subgraph = model_of(views.Subgraph, types={"name": str | None, "tensors": list[Tensor], "operators": list[Operator]})
Signature = model_of(views.Signature)


class MetadataEntry(Strict):
    bytes: int
    text: str | None = Field(description="the text when it is printable UTF-8")


class Buffers(Strict):
    count: int
    total_bytes: int = Field(description="weight data")


#: generated from the cost model's dataclasses (toolkit.model.cost)
OpCost = model_of(cost.OpCost, required=True)
Cost = model_of(cost.ModelCost, name="Cost", required=True,
                types={"ops": list[OpCost], "provenance": Literal["estimated"]})


class InspectDocument(Strict):
    """`inspect --json`."""

    schema_: Literal["edgetk.inspect/1"] = Field(alias="schema")
    path: str
    size_bytes: int
    sha256: str = Field(description="of the whole file")
    producer: str | None = Field(description="the model's description string; null if absent")
    schema_version: int
    metadata: dict[str, MetadataEntry]
    op_counts: dict[str, int] = Field(description="all subgraphs, most frequent first")
    buffers: Buffers
    subgraphs: list[Subgraph]
    signatures: list[Signature]
    cost: Cost


#: the op's own index and name win over its cost entry's
OpWithCost = model_of(cost.OpCost, name="OpWithCost", doc="An operator merged with its cost entry.", base=Operator,
                      omit=("index", "name"), required=True, descriptions=False)


class InspectOpsDocument(Strict):
    """`inspect --json --ops-only`."""

    schema_: Literal["edgetk.inspect/1"] = Field(alias="schema")
    path: str
    ops: list[OpWithCost]
