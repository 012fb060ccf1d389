"""The static GPU verdict: what LiteRT's GPU accelerator will do with a model, read from the measured GPU
op table (shipped/optables/litert-gpu.json, `edgetk targets probe --accelerator gpu`), no runtime.

Per op instance: a measured parameter variant when the op has one (`variant_key`: index-tensor rank,
shrink_axis_mask, what feeds a DEQUANTIZE, a runtime shape for RESHAPE, the GPU custom ops), else the
op's measured status at its version. Coverage: "refused" when any op makes a dynamic-sized tensor (the
delegate then refuses the whole graph: an app gets an error, not a fallback), "full" when every op is
taken, else "partial". The evidence label is "op-table"; `check --verify` replaces it with an
accelerator run ("accelerator-run") and keeps this prediction beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from toolkit.errors import DescriptorError
from toolkit.model import Operator, TfliteModel
from toolkit.targets.delegate_verdict import DelegateReason, DelegateVerdict

STATIC_ONLY = ("the GPU delegate takes only static-sized tensors and this graph has dynamic-sized ones: "
               "it refuses the whole model (an app gets an error, not a CPU fallback)")
UNMEASURED = "not measured by the GPU probe (no valid single-op model); assumed taken"


@dataclass(frozen=True)
class GpuOpTable:
    path: Path
    version: str
    backend: str
    probe_date: str
    ops: dict[str, dict[str, Any]]
    variants: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        return f"LiteRT {self.version} GPU, {self.backend}"

    def decide(self, op: str, version: int, variants: list[str]) -> tuple[str, str]:
        """(status "taken" | "cpu" | "refused", reason) for one op instance: the version check first (the
        accelerator checks it before any parameter), then the measured variants it falls under."""
        entry = self.ops.get(op) or {}
        per_version = entry.get("versions", {}).get(str(version))
        if per_version and per_version["reason"].startswith("Max version supported"):
            return "cpu", per_version["reason"]
        measured = [self.variants[v] for v in variants if v in self.variants]
        against = next((m for m in measured if m["status"] != "taken"), None)
        if against is not None:
            return _status(against["status"]), against.get("reason", "")
        if measured:
            return "taken", ""
        if not entry:
            return "cpu", "Operation is not supported."  # a custom op the probe has no variant for
        if per_version is None:
            return ("taken", "") if entry.get("status") == "taken" else ("cpu", "version not probed")
        status = per_version["status"]
        if status in ("unprobed", "crashed"):
            return "taken", UNMEASURED
        return _status(status), per_version.get("reason", "")


def _status(status: str) -> str:
    return status if status in ("taken", "refused") else "cpu"


@cache
def load_gpu_table(path: Path) -> GpuOpTable:
    try:
        raw = json.loads(path.read_text())
        return GpuOpTable(path, raw["runtime"]["version"], raw["backend"], raw.get("probe_date", "unknown"),
                          raw["ops"], raw.get("variants", {}))
    except FileNotFoundError:
        raise DescriptorError(path, None, "GPU op table missing: run `edgetk targets probe --accelerator gpu`") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DescriptorError(path, None, f"unreadable GPU op table ({exc})") from None


def _producers(model: TfliteModel, subgraph: int) -> dict[int, Operator]:
    return {t: op for op in model.subgraphs[subgraph].operators for t in op.outputs if t >= 0}


def variant_keys(model: TfliteModel, op: Operator, producers: dict[int, Operator]) -> list[str]:
    """The measured variants an op instance falls under (see gpu_probe_models.variant_cases)."""
    tensors = model.subgraphs[op.subgraph].tensors
    ins = [i for i in op.inputs if i >= 0]
    if op.is_custom:
        return [f"{op.custom_code}[]"]
    keys = []
    if any(len(tensors[i].shape) >= 5 for i in [*ins, *(o for o in op.outputs if o >= 0)]):
        keys.append(f"{op.name}[rank=5+]")
    if op.name == "GATHER" and len(ins) > 1:
        keys.append(f"GATHER[indices_rank={len(tensors[ins[1]].shape)}]")
    elif op.name == "STRIDED_SLICE":
        mask = (op.options or {}).get("shrink_axis_mask", 0)
        keys.append(f"STRIDED_SLICE[shrink_axis_mask={'set' if mask else 0}]")
    elif op.name == "DEQUANTIZE" and ins:
        source = producers.get(ins[0])
        if source is not None and source.name == "DENSIFY":
            keys.append("DEQUANTIZE[input=densify]")
        else:
            keys.append(f"DEQUANTIZE[input={'constant' if tensors[ins[0]].is_constant else 'runtime'}]")
    elif op.name == "RESHAPE" and len(ins) > 1 and _runtime_shape(tensors[ins[1]], producers.get(ins[1])):
        keys.append("RESHAPE[shape=runtime]")
    elif op.name == "WHILE":
        keys.append("WHILE[]")
    return keys


def _runtime_shape(shape_tensor: Any, source: Operator | None) -> bool:
    return not shape_tensor.is_constant and (source is None or source.name != "SHAPE")


def while_outputs_dynamic(model: TfliteModel, op: Operator, table: GpuOpTable, depth: int = 0) -> bool:
    """TFLite's WHILE makes its outputs dynamic-sized when its body has dynamic tensors or a body output's
    shape differs from the matching loop input's (kernels/while.cc Prepare): then the GPU delegate,
    which takes only static-sized tensors, refuses the whole graph."""
    body = (op.options or {}).get("body_subgraph_index")
    if not isinstance(body, int) or not 0 <= body < len(model.subgraphs) or depth > 8:
        return False
    outer, sg = model.subgraphs[op.subgraph].tensors, model.subgraphs[body]
    for i, o in zip(op.inputs, sg.outputs, strict=False):  # a malformed WHILE may differ
        if i >= 0 and tuple(outer[i].shape) != tuple(sg.tensors[o].shape):
            return True
    if any(-1 in tuple(t.shape_signature or ()) for t in sg.tensors):
        return True
    return _subgraph_dynamic(model, body, table, depth + 1)


def _subgraph_dynamic(model: TfliteModel, index: int, table: GpuOpTable, depth: int) -> bool:
    producers = _producers(model, index)
    for op in model.subgraphs[index].operators:
        if op.name == "WHILE" and while_outputs_dynamic(model, op, table, depth):
            return True
        if op.name != "WHILE" and table.decide(op.name, op.version, variant_keys(model, op, producers))[0] == "refused":
            return True
    return False


def predict_gpu(model: TfliteModel, table: GpuOpTable) -> DelegateVerdict:
    """The static GPU verdict for `model` from the measured table. Reasons cover every subgraph's ops (the
    accelerator reports loop bodies too); a dynamic-sized tensor in the main graph refuses the graph."""
    if model.subgraphs and _subgraph_dynamic(model, 0, table, 0):
        why = next((op for op in model.subgraphs[0].operators if op.name == "WHILE"
                    and while_outputs_dynamic(model, op, table)), None)
        message = STATIC_ONLY + (f" ({why.name} #{why.index} makes its outputs dynamic-sized)" if why else "")
        return DelegateVerdict("gpu", "refused", [], 0, "op-table", [DelegateReason("graph", message)], table.label)
    reasons: dict[tuple[str, str], None] = {}
    partitions = 0
    for sg in model.subgraphs:
        producers = _producers(model, sg.index)
        taken = []
        for op in sg.operators:
            status, reason = table.decide(op.name, op.version, variant_keys(model, op, producers))
            taken.append(status == "taken")
            if status != "taken":
                reasons.setdefault((op.name, reason), None)
        partitions += gpu_partitions(sg, taken)
    rows = [DelegateReason(op, msg) for op, msg in reasons]
    on_cpu = sorted({r.op for r in rows})
    coverage = "partial" if on_cpu else "full"
    return DelegateVerdict("gpu", coverage, on_cpu, partitions, "op-table", rows, table.label)


def gpu_partitions(sg: Any, taken: list[bool]) -> int:
    """GPU partitions of one subgraph, as TFLite's partitioner forms them: in execution order, the ready ops
    of the current kind (GPU / CPU) join the current subset; when none is ready, the kind switches. CPU ops
    on constants only (DENSIFY then DEQUANTIZE of sparse weights) run once and split nothing. Measured
    against the accelerator's partition count on the corpus: equal on most models (MediaPipe, microWakeWord,
    the Keras loop RNNs); ConvLSTM2D 4 vs 5 and the dynamic-range LSTM 2 vs 0 (an estimate, labelled so)."""
    const = {i for i, t in enumerate(sg.tensors) if t.is_constant}
    ops = list(range(len(sg.operators)))
    folded = True
    while folded:
        folded = False
        for k in list(ops):
            ins = [i for i in sg.operators[k].inputs if i >= 0]
            if not taken[k] and ins and all(i in const for i in ins):
                ops.remove(k)
                const.update(o for o in sg.operators[k].outputs if o >= 0)
                folded = True
    ready_tensors = set(sg.inputs) | const
    count, kind = 0, None
    while ops:
        ready = [k for k in ops if all(i < 0 or i in ready_tensors for i in sg.operators[k].inputs)] or [ops[0]]
        if kind is None or not any(taken[k] == kind for k in ready):
            kind = taken[ready[0]]
            count += int(kind)
        for k in [k for k in ready if taken[k] == kind]:
            ops.remove(k)
            ready_tensors.update(o for o in sg.operators[k].outputs if o >= 0)
    return count
