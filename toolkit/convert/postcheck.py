"""Refuse converter outputs that "succeeded" but cannot be right or cannot run.

The MLIR converter can silently keep VAR_HANDLE/READ_VARIABLE ops without their weights (when a trackable
object is passed with concrete functions): outputs are off by ~1e19 and RNNs crash at invoke. Flex ops need a
delegate that no runtime here ships, and custom ops need kernels nobody registered. Every conversion output
goes through ``refuse_unsafe_ops`` unless the user opted in. No TensorFlow import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ConversionError

VARIABLE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE")


@dataclass(frozen=True)
class OpSummary:
    counts: dict[str, int]
    flex: list[str]
    custom: list[str]

    @property
    def builtin_only(self) -> bool:
        return not self.flex and not self.custom


def summarize_ops(path: Path) -> OpSummary:
    """Op counts over all subgraphs, with Flex and other custom ops listed by name."""
    try:
        from toolkit.model import load_model
    except ImportError:  # the .tflite reader is another area's; fall back to LiteRT's generated schema
        return _summarize_with_schema(path)
    model = load_model(path)
    counts: Counter[str] = Counter()
    flex, custom = set(), set()
    for sg in model.subgraphs:
        for op in sg.operators:
            counts[op.name] += 1
            if op.is_flex:
                flex.add(op.name)
            elif op.is_custom:
                custom.add(op.name)
    return OpSummary(dict(sorted(counts.items())), sorted(flex), sorted(custom))


def _summarize_with_schema(path: Path) -> OpSummary:
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(Path(path).read_bytes(), 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    counts: Counter[str] = Counter()
    flex, custom = set(), set()
    for sg in model.subgraphs or []:
        for op in sg.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            real = max(code.builtinCode, code.deprecatedBuiltinCode)
            if code.customCode:
                name = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
                (flex if name.startswith("Flex") else custom).add(name)
            else:
                name = names.get(real, str(real))
            counts[name] += 1
    return OpSummary(dict(sorted(counts.items())), sorted(flex), sorted(custom))


def refuse_unsafe_ops(path: Path, *, allow_flex: bool = False, allow_custom: bool = False,
                      allow_resource_variables: bool = False) -> OpSummary:
    """Raise ConversionError for weight loss, Flex or custom ops the user did not ask for; else the summary."""
    summary = summarize_ops(path)
    variables = [op for op in VARIABLE_OPS if op in summary.counts]
    if variables and not allow_resource_variables:
        raise ConversionError(
            f"{path}: the converted model keeps {', '.join(variables)} ops: its weights were not frozen into "
            "constants (silent weight loss; outputs would be garbage). Convert from a concrete function "
            "without the trackable object (edgetk convert does), or pass --allow-resource-variables if "
            "the model keeps state on purpose")
    if summary.flex and not allow_flex:
        raise ConversionError(f"{path}: needs Flex ops {', '.join(summary.flex)} (no runtime here has the Flex "
                              "delegate); change the model or pass --allow-flex")
    if summary.custom and not allow_custom:
        raise ConversionError(f"{path}: needs custom ops {', '.join(summary.custom)} without registered kernels; "
                              "change the model or pass --allow-custom")
    return summary
