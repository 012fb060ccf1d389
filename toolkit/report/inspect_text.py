"""`edgetk inspect` as text: a summary a person reads in one screen, the full op list only when asked.

Summary: file and producer, weights, estimated cost (MACs, FLOPs, bytes moved, peak activation memory), the op
histogram and where the MACs go, inputs/outputs/signatures, the biggest activation tensors (what fills the
tensor arena) and the biggest weights (what fills flash). `ops=True` adds one line per operator. Tables come
from toolkit/report/columns.py, so they degrade to plain lines when narrow instead of being cut.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from toolkit.report.columns import table_lines
from toolkit.text import inert

if TYPE_CHECKING:
    from toolkit.model import Operator, Subgraph, Tensor, TfliteModel
    from toolkit.model.cost import ModelCost, OpCost

TOP_ACTIVATIONS = 5
TOP_WEIGHTS = 3
TOP_MAC_OPS = 4


def si(value: float, unit: str = "") -> str:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= factor:
            return f"{value / factor:.2f} {prefix}{unit}"
    return f"{int(value)} {unit}".rstrip()


def human_bytes(n: int) -> str:
    for factor, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} B"


def dims(shape: tuple[int, ...] | list[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _quant(t: Tensor) -> str:
    q = t.quantization
    if q is None:
        return ""
    if q.per_channel:
        return f"per-channel ({len(q.scales)} scales, axis {q.quantized_dimension})"
    zp = q.zero_points[0] if q.zero_points else 0
    return f"scale={q.scales[0]:.6g} zp={zp}" if q.scales else f"zp={zp}"


def _wrap(text: str, width: int, indent: str = "    ") -> list[str]:
    """Names from the model (producer, tensors, ops, signatures) are escaped before wrapping: a newline in a
    tensor name is shown as \\n, never turned into a line break or a space."""
    return textwrap.wrap(inert(text), max(width, 20), subsequent_indent=indent, break_on_hyphens=False) or [""]


def _mac_shares(cost: ModelCost) -> str:
    per_op: dict[str, int] = {}
    for c in cost.ops:
        per_op[c.name] = per_op.get(c.name, 0) + c.macs
    total = sum(per_op.values())
    if not total:
        return ""
    top = sorted(per_op.items(), key=lambda kv: -kv[1])[:TOP_MAC_OPS]
    return ", ".join(f"{name} {100 * macs / total:.1f}%" for name, macs in top if macs)


def summary_lines(model: TfliteModel, cost: ModelCost, width: int) -> list[str]:
    from toolkit.targets.arena import estimate_arena_bytes

    runtime = model.metadata.get("min_runtime_version", b"").rstrip(b"\0").decode("utf-8", "replace")
    facts = [f"{human_bytes(model.size_bytes)}", f"sha256 {model.sha256[:16]}", f"producer {model.producer or '-'}",
             f"schema v{model.schema_version}"] + ([f"min runtime {runtime}"] if runtime else [])
    weight_dtypes: dict[str, int] = {}
    for t in (t for sg in model.subgraphs for t in sg.tensors if t.is_constant):
        weight_dtypes[t.dtype] = weight_dtypes.get(t.dtype, 0) + t.buffer_bytes
    by_dtype = ", ".join(f"{d} {human_bytes(n)}" for d, n in sorted(weight_dtypes.items(), key=lambda kv: -kv[1]) if n)
    loops = "; WHILE with unknown trip count counted once" if cost.unknown_trip_counts else ""
    n_ops = sum(len(sg.operators) for sg in model.subgraphs)
    lines = _wrap(f"edgetk inspect {model.path}", width)
    lines += _wrap("; ".join(facts), width)
    lines += _wrap(f"weights: {human_bytes(model.weights_bytes)} in {len(model.buffers)} buffers"
                   + (f" ({by_dtype})" if by_dtype else ""), width)
    lines += _wrap(f"cost (estimated): {si(cost.total_macs, 'MACs')}, {si(cost.total_flops, 'FLOPs')}, "
                   f"{human_bytes(cost.total_bytes)} moved; peak activations ~{human_bytes(estimate_arena_bytes(model))}"
                   f" (greedy liveness estimate){loops}", width)
    lines += _wrap(f"subgraphs: {len(model.subgraphs)} (" + ", ".join(
        f"{sg.index}: {sg.name or '-'}, {len(sg.operators)} ops" for sg in model.subgraphs) + ")", width)
    lines += _wrap(f"ops ({n_ops}): " + ", ".join(f"{name} x{n}" for name, n in model.op_counts().items()), width)
    shares = _mac_shares(cost)
    if shares:
        lines += _wrap(f"MACs by op: {shares}", width)
    custom = sorted({op.name for op in model.operators() if op.is_custom})
    if custom:
        lines += _wrap("custom/flex ops: " + ", ".join(custom), width)
    return lines


def io_lines(model: TfliteModel, width: int) -> list[str]:
    main = model.main_subgraph
    rows = [[kind, main.tensors[i].name, str(i), main.tensors[i].dtype, dims(main.tensors[i].shape_signature),
             _quant(main.tensors[i])] for kind, indices in (("in", main.inputs), ("out", main.outputs)) for i in indices]
    lines = ["", f"inputs and outputs (subgraph {main.index}):"]
    lines += table_lines(["", "name", "tensor", "dtype", "shape_signature", "quantization"], rows, width, indent="  ")
    for sig in model.signatures:
        def names(mapping: dict[str, int]) -> str:
            return ", ".join(f"{k} (tensor {v})" for k, v in mapping.items()) or "none"
        lines += _wrap(f"signature '{sig.key}' (subgraph {sig.subgraph_index}): inputs {names(sig.inputs)}; "
                       f"outputs {names(sig.outputs)}", width)
    if not model.signatures:
        lines.append("signatures: none")
    return lines


def _short(name: str, keep: int = 60) -> str:
    """Tensor names are long scope paths; the tail says what the tensor is (the JSON has the full name)."""
    return name if len(name) <= keep else "…" + name[-(keep - 1):]


def biggest_tensor_lines(model: TfliteModel, width: int) -> list[str]:
    """Activations first (they fill the tensor arena, the usual MCU limit), then weights (flash)."""
    from toolkit.model.cost import tensor_bytes

    tensors = [t for sg in model.subgraphs for t in sg.tensors]
    acts = sorted((t for t in tensors if not t.is_constant), key=tensor_bytes, reverse=True)[:TOP_ACTIVATIONS]
    weights = sorted((t for t in tensors if t.is_constant), key=lambda t: -t.buffer_bytes)[:TOP_WEIGHTS]
    lines = []
    for title, group, size in (("biggest activations (tensor arena)", acts, tensor_bytes),
                               ("biggest weights (flash)", weights, lambda t: t.buffer_bytes)):
        if group:
            rows = [[human_bytes(size(t)), t.dtype, dims(t.shape), _short(t.name)] for t in group]
            lines += ["", f"{title}:", *table_lines(["bytes", "dtype", "shape", "name"], rows, width, right={0},
                                                    indent="  ")]
    return lines


def _op_row(sg: Subgraph, op: Operator, cost: OpCost) -> list[str]:
    first_in = next((i for i in op.inputs if i >= 0), None)
    shape_in = dims(sg.tensors[first_in].shape) if first_in is not None else "-"
    shape_out = " ".join(dims(sg.tensors[i].shape) for i in op.outputs)
    name = f"{op.name} v{op.version}" + (" (flex)" if op.is_flex else " (custom)" if op.is_custom else "")
    if op.called_subgraphs:
        name += " -> sg " + ",".join(map(str, op.called_subgraphs))
    runs = "" if not cost.loop_body else " *" if cost.trip_count is None else f" (x{cost.trip_count})"
    return [f"{sg.index}:{op.index}", name, cost.dtype, si(cost.macs) + runs, human_bytes(cost.bytes_moved),
            f"{shape_in} -> {shape_out}"]


def op_lines(model: TfliteModel, cost: ModelCost, width: int) -> list[str]:
    costs = {(c.subgraph, c.index): c for c in cost.ops}
    rows = [_op_row(sg, op, costs[(sg.index, op.index)]) for sg in model.subgraphs for op in sg.operators]
    loops = " (* = in a WHILE with unknown trip count: counted once)" if cost.unknown_trip_counts else ""
    return [*_wrap(f"operators (MACs and bytes moved: estimated){loops}:", width),
            *table_lines(["sg:op", "op", "dtype", "MACs", "moved", "first input -> outputs"],
                                               rows, width, right={3, 4}, indent="  ")]


def render_inspect(model: TfliteModel, cost: ModelCost, *, width: int, ops: bool = False,
                   ops_only: bool = False) -> list[str]:
    """The summary (default), the summary and every op (``ops``), or only the op list (``ops_only``)."""
    if ops_only:
        return op_lines(model, cost, width)
    lines = [*summary_lines(model, cost, width), *io_lines(model, width), *biggest_tensor_lines(model, width)]
    n_ops = sum(len(sg.operators) for sg in model.subgraphs)
    if ops:
        return [*lines, "", *op_lines(model, cost, width)]
    return [*lines, "", *_wrap(f"every op ({n_ops}), with shapes and cost: edgetk inspect {model.path} --ops", width)]
