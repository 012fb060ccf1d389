"""`edgetk inspect MODEL.tflite`: what is in a model (ops, tensors, signatures, cost) without TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("inspect")
    def inspect_cmd(
        model_path: Path = typer.Argument(..., metavar="MODEL.tflite", help="The .tflite file to read."),
        as_json: bool = typer.Option(False, "--json", help="Print the edgetk.inspect/1 JSON document."),
        ops: bool = typer.Option(False, "--ops", help="Also list every operator (shapes, dtype, MACs, bytes moved)."),
        ops_only: bool = typer.Option(False, "--ops-only", help="Only the per-operator list (or JSON list)."),
    ) -> None:
        """Summarise a model: size, producer, op histogram, inputs/outputs, cost, biggest tensors (no TensorFlow).

        The full op list is behind --ops.
        """
        from toolkit.model import load_model
        from toolkit.model.cost import estimate_cost
        from toolkit.model.inspect_document import inspect_document

        with load_model(model_path) as model:
            cost = estimate_cost(model)
            if as_json:
                typer.echo(json.dumps(inspect_document(model, cost, ops_only=ops_only), indent=1))
            else:
                from toolkit.report.columns import print_text, terminal_width
                from toolkit.report.inspect_text import render_inspect

                print_text(render_inspect(model, cost, width=terminal_width(), ops=ops, ops_only=ops_only))
