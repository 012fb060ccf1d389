"""`edgetk inspect MODEL.tflite`: what is in a model (ops, tensors, signatures, cost) without TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # the model layer (numpy, flatbuffers, schema) loads only when inspect runs, not on --help
    from toolkit.model import Operator, Subgraph, Tensor, TfliteModel
    from toolkit.model.cost import ModelCost, OpCost

TOP_N = 5


def _si(value: float, unit: str = "") -> str:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= factor:
            return f"{value / factor:.2f} {prefix}{unit}"
    return f"{int(value)} {unit}".rstrip()


def _bytes(n: int) -> str:
    for factor, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} B"


def _quant(t: Tensor) -> str:
    q = t.quantization
    if q is None:
        return ""
    if q.per_channel:
        return f"per-channel ({len(q.scales)} scales, axis {q.quantized_dimension})"
    zp = q.zero_points[0] if q.zero_points else 0
    return f"scale={q.scales[0]:.6g} zp={zp}" if q.scales else f"zp={zp}"


def _short(name: str, width: int = 44) -> str:
    """Tensor names are long scope paths; the tail says what the tensor is."""
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _io_table(title: str, sg: Subgraph, indices: tuple[int, ...] | list[int], names: list[str] | None = None):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("name", "tensor", "dtype", "shape_signature", "quantization"):
        table.add_column(col)
    for pos, ti in enumerate(indices):
        t = sg.tensors[ti]
        label = names[pos] if names else t.name
        table.add_row(label, str(ti), t.dtype, _dims(t.shape_signature), _quant(t))
    return table


def _op_row(sg: Subgraph, op: Operator, cost: OpCost) -> list[str]:
    first_in = next((i for i in op.inputs if i >= 0), None)
    shape_in = _dims(sg.tensors[first_in].shape) if first_in is not None else "-"
    shape_out = " ".join(_dims(sg.tensors[i].shape) for i in op.outputs)
    name = f"{op.name} v{op.version}" + (" (flex)" if op.is_flex else " (custom)" if op.is_custom else "")
    if op.called_subgraphs:
        name += " -> sg " + ",".join(map(str, op.called_subgraphs))
    runs = "" if not cost.loop_body else " *" if cost.trip_count is None else f" (x{cost.trip_count})"
    macs = _si(cost.macs) + runs
    return [
        f"{sg.index}:{op.index}",
        name,
        cost.dtype,
        f"{shape_in} -> {shape_out}",
        macs,
        _bytes(cost.bytes_moved),
    ]


def _ops_table(model: TfliteModel, cost: ModelCost):
    from rich.table import Table

    loops = " (* = in a WHILE with unknown trip count: counted once)" if cost.unknown_trip_counts else ""
    table = Table(title="Operators" + loops, title_justify="left")
    table.add_column("sg:op", no_wrap=True)
    table.add_column("op", no_wrap=True)
    table.add_column("dtype", no_wrap=True)
    table.add_column("first input -> outputs")
    table.add_column("MACs", justify="right", no_wrap=True)
    table.add_column("moved", justify="right", no_wrap=True)
    costs = {(c.subgraph, c.index): c for c in cost.ops}
    for sg in model.subgraphs:
        for op in sg.operators:
            table.add_row(*_op_row(sg, op, costs[(sg.index, op.index)]))
    return table


def _biggest_tensors(model: TfliteModel):
    """The largest weights and activations: where memory goes (flash and arena respectively)."""
    from rich.table import Table

    from toolkit.model.cost import tensor_bytes

    tensors = [t for sg in model.subgraphs for t in sg.tensors]
    weights = sorted((t for t in tensors if t.is_constant), key=lambda t: -t.buffer_bytes)[:TOP_N]
    acts = sorted((t for t in tensors if not t.is_constant), key=tensor_bytes, reverse=True)[:TOP_N]
    rows = [
        (kind, _bytes(size(t)), t.dtype, _dims(t.shape), _short(t.name))
        for kind, group, size in (
            ("weight", weights, lambda t: t.buffer_bytes),
            ("activation", acts, tensor_bytes),
        )
        for t in group
    ]
    table = Table(title="Biggest tensors", title_justify="left")
    for i, col in enumerate(("kind", "bytes", "dtype", "shape")):  # never squeeze these; the name gives way
        width = max([len(col), *(len(r[i]) for r in rows)])
        table.add_column(col, no_wrap=True, min_width=width, justify="right" if col == "bytes" else "left")
    table.add_column("name", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _summary_lines(model: TfliteModel, cost: ModelCost) -> list[str]:
    runtime = model.metadata.get("min_runtime_version", b"").rstrip(b"\0").decode("utf-8", "replace")
    lines = [
        f"[bold]{model.path}[/]  {_bytes(model.size_bytes)}  sha256 {model.sha256[:16]}",
        f"producer: {model.producer or '-'}   schema v{model.schema_version}"
        + (f"   min runtime {runtime}" if runtime else ""),
        f"subgraphs: {len(model.subgraphs)} ("
        + ", ".join(f"{sg.index}:{sg.name or '-'} {len(sg.operators)} ops" for sg in model.subgraphs)
        + ")",
        "ops: " + ", ".join(f"{name} x{n}" for name, n in model.op_counts().items()),
        f"weights: {len(model.buffers)} buffers, {_bytes(model.weights_bytes)}",
        f"cost: {_si(cost.total_macs, 'MACs')}, {_si(cost.total_flops, 'FLOPs')}, "
        f"{_bytes(cost.total_bytes)} moved" + ("  (WHILE with unknown trip count counted once)" if cost.unknown_trip_counts else ""),
    ]
    flex = sorted({op.name for op in model.operators() if op.is_custom})
    if flex:
        lines.append("[yellow]custom/flex ops:[/] " + ", ".join(flex))
    return lines


def render(model: TfliteModel, cost: ModelCost, *, ops_only: bool) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not ops_only:
        for line in _summary_lines(model, cost):
            console.print(line)
        console.print(_biggest_tensors(model))
        main = model.main_subgraph
        console.print(_io_table("Inputs (subgraph 0)", main, main.inputs))
        console.print(_io_table("Outputs (subgraph 0)", main, main.outputs))
        for sig in model.signatures:
            sg = model.subgraphs[sig.subgraph_index]
            console.print(_io_table(f"Signature '{sig.key}' inputs (subgraph {sg.index})", sg,
                                    list(sig.inputs.values()), list(sig.inputs)))  # fmt: skip
            console.print(_io_table(f"Signature '{sig.key}' outputs", sg, list(sig.outputs.values()),
                                    list(sig.outputs)))  # fmt: skip
    console.print(_ops_table(model, cost))


def inspect_document(model: TfliteModel, cost: ModelCost, *, ops_only: bool) -> dict[str, Any]:
    """The `--json` document: to_dict() plus "cost", or with --ops-only just the ops merged with their cost."""
    from toolkit.model import INSPECT_SCHEMA

    if not ops_only:
        return {**model.to_dict(), "cost": cost.to_dict()}
    costs = {(c.subgraph, c.index): c.to_dict() for c in cost.ops}
    ops = [{**costs[(op.subgraph, op.index)], **op.to_dict()} for op in model.operators()]
    return {"schema": INSPECT_SCHEMA, "path": str(model.path), "ops": ops}


def register(app: typer.Typer) -> None:
    @app.command("inspect")
    def inspect_cmd(
        model_path: Path = typer.Argument(..., metavar="MODEL.tflite", help="The .tflite file to read."),
        as_json: bool = typer.Option(False, "--json", help="Print the edgetk.inspect/1 JSON document."),
        ops_only: bool = typer.Option(False, "--ops-only", help="Only the per-operator table (or list)."),
    ) -> None:
        """Show a model's ops, tensors, signatures and estimated cost (no TensorFlow needed)."""
        from toolkit.model import load_model
        from toolkit.model.cost import estimate_cost

        with load_model(model_path) as model:
            cost = estimate_cost(model)
            if as_json:
                typer.echo(json.dumps(inspect_document(model, cost, ops_only=ops_only), indent=1))
            else:
                render(model, cost, ops_only=ops_only)
