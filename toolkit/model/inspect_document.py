"""The `edgetk inspect --json` document (edgetk.inspect/1): the model's views plus its estimated cost."""

from __future__ import annotations

from typing import Any

from toolkit.model.cost import ModelCost
from toolkit.model.views import INSPECT_SCHEMA, TfliteModel


def inspect_document(model: TfliteModel, cost: ModelCost, *, ops_only: bool) -> dict[str, Any]:
    """The `--json` document: to_dict() plus "cost", or with --ops-only just the ops merged with their cost."""
    if not ops_only:
        return {**model.to_dict(), "cost": cost.to_dict()}
    costs = {(c.subgraph, c.index): c.to_dict() for c in cost.ops}
    ops = [{**costs[(op.subgraph, op.index)], **op.to_dict()} for op in model.operators()]
    return {"schema": INSPECT_SCHEMA, "path": str(model.path), "ops": ops}
