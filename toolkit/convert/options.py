"""What a conversion is asked to do (ConvertOptions) and what it gives back (ConversionReport).

Both are plain dataclasses that round-trip through JSON, because the TensorFlow work runs in a child process
(toolkit.convert.worker) and the request/result cross the process boundary as JSON documents. The report's
parts (OutputError, RuntimeCheck, NumericsVerdict) are the typed models of edgetk.convert/1
(toolkit.convert.documents), re-exported here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from toolkit.convert.documents import ConvertDocument, NumericsVerdict, OutputError, RuntimeCheck, TargetRow

RNN_MODES = ("auto", "fused", "loop")
QUANTIZE_MODES = ("none", "dynamic", "float16", "int8", "int16x8")
FORMATS = ("auto", "saved_model", "keras", "python", "graphdef")
REPORT_SCHEMA = "edgetk.convert/1"
__all__ = ["ConversionReport", "ConvertOptions", "NumericsVerdict", "OutputError", "RuntimeCheck"]


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


@dataclass
class ConversionReport:
    """The conversion report: printed by the CLI, written by --report as "edgetk.convert/1" JSON."""

    source: str
    output: str
    frontend: str
    ops: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    builtin_only: bool = True
    convert_seconds: float = 0.0
    total_seconds: float = 0.0
    input_shapes: list[list[int]] = field(default_factory=list)
    rnn_form: str | None = None  # "fused" | "loop" | None when the model has no RNN layer
    quantize: str = "none"
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the front-end did: signature used, graph rewrites
    numerics: list[RuntimeCheck] = field(default_factory=list)
    numerics_verdict: NumericsVerdict | None = None
    quantization_error: list[OutputError] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)

    def to_model(self) -> ConvertDocument:
        """The ``edgetk.convert/1`` document as its typed model (toolkit.convert.documents)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields["targets"] = [TargetRow.model_validate(row) for row in self.targets]
        return ConvertDocument(schema=REPORT_SCHEMA, **fields)

    def to_json(self) -> dict[str, Any]:
        """The document, emitted by its model: every field, a target row with the fields it has."""
        model = self.to_model()
        doc = model.model_dump(by_alias=True, exclude={"targets", "legacy"})
        doc["targets"] = [row.model_dump(exclude_unset=True) for row in model.targets]
        return doc
