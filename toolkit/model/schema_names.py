"""Names for the TFLite schema's enums (operators, tensor types, options), taken from the schema itself.

The tables come from the generated schema module (``toolkit.model.tflite_schema``) so a newer schema brings its new operators and
types with it; nothing here is typed in by hand except the element sizes, which the schema does not carry.
"""

from __future__ import annotations

from toolkit.model.tflite_schema import tflite_schema

schema = tflite_schema()


def _enum(cls: type) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


BUILTIN_OP_NAMES: dict[int, str] = _enum(schema.BuiltinOperator)
BUILTIN_OP_CODES: dict[str, int] = {v: k for k, v in BUILTIN_OP_NAMES.items()}
CUSTOM_CODE: int = schema.BuiltinOperator.CUSTOM
# Codes above this live only in OperatorCode.builtin_code; deprecated_builtin_code then holds 127.
PLACEHOLDER_FOR_GREATER_OP_CODES: int = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES

DTYPE_NAMES: dict[int, str] = {k: v.lower() for k, v in _enum(schema.TensorType).items()}

# Bits per element, for bytes-moved estimates. String/resource/variant have no fixed size: 0.
DTYPE_BITS: dict[str, int] = {
    "float32": 32, "float16": 16, "int32": 32, "uint8": 8, "int64": 64, "string": 0, "bool": 8,
    "int16": 16, "complex64": 64, "int8": 8, "float64": 64, "complex128": 128, "uint64": 64,
    "resource": 0, "variant": 0, "uint32": 32, "uint16": 16, "int4": 4, "bfloat16": 16, "int2": 2,
    "uint4": 4, "float8_e4m3fn": 8, "float8_e5m2": 8,
}  # fmt: skip


def op_name(builtin_code: int) -> str:
    """The schema's name for a builtin code; codes from a newer schema get a stable placeholder name."""
    return BUILTIN_OP_NAMES.get(builtin_code, f"BUILTIN_{builtin_code}")


def dtype_bits(dtype: str) -> int:
    return DTYPE_BITS.get(dtype, 0)
