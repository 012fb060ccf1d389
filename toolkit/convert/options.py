"""What a conversion is asked to do (ConvertOptions) and what it gives back (ConversionReport).

ConvertOptions is a plain dataclass that round-trips through JSON, because the TensorFlow work runs in a child
process (toolkit.convert.worker) and the request crosses the process boundary as a JSON document. The report
(ConversionReport) and its parts (OutputError, RuntimeCheck, NumericsVerdict) live with the typed models of
edgetk.convert/1 they are the one declaration of (toolkit.convert.documents), and are re-exported here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from toolkit.convert.documents import (
    REPORT_SCHEMA,
    ConversionReport,
    NumericsVerdict,
    OutputError,
    RuntimeCheck,
)

RNN_MODES = ("auto", "fused", "loop")
QUANTIZE_MODES = ("none", "dynamic", "float16", "int8", "int16x8")
FORMATS = ("auto", "saved_model", "keras", "python", "graphdef")
__all__ = ["REPORT_SCHEMA", "ConversionReport", "ConvertOptions", "NumericsVerdict", "OutputError", "RuntimeCheck"]


@dataclass(frozen=True)
class ConvertOptions:
    """Every knob of `edgetk convert`; defaults are what a user gets without flags."""

    format: str = "auto"
    batch: int = 1
    seq_len: int | None = None
    input_shapes: tuple[tuple[int, ...], ...] | None = None  # overrides the signature's shapes, in input order
    input_arrays: tuple[str, ...] = ()  # frozen GraphDef only
    output_arrays: tuple[str, ...] = ()  # frozen GraphDef only
    signature: str | None = None  # SavedModel signature key (default: serving_default or the only one)
    rnn: str = "auto"
    quantize: str = "none"
    calibration: str | None = None  # .npz with one array per input (name or arr_i), first axis = samples
    inputs: str | None = None  # .npz of the user's own samples for the numerical check (same layout)
    tolerance: float | None = None  # max relative error of the numerical check; None: the mode's default
    integer_io: bool = False
    allow_flex: bool = False
    allow_custom: bool = False
    allow_resource_variables: bool = False
    targets: tuple[str, ...] = ()
    seed: int = 0
    check_samples: int = 3
    verify: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConvertOptions:
        data = dict(data)
        if data.get("input_shapes") is not None:
            data["input_shapes"] = tuple(tuple(s) for s in data["input_shapes"])
        for key in ("input_arrays", "output_arrays", "targets"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)
