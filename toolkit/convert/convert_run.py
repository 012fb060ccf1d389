"""What `edgetk convert` does, as one library call: the new converter, TOCO instead (--legacy) or beside it (--both).

Why here and not in the CLI: scripts and CI jobs want the same merged document and the same verdict the
command gives (TOCO refusing the model is a finding under --both, a failure under --legacy; a numerics check
that did not pass fails the run with the file kept). The CLI parses, calls ``run_convert`` and renders.
No TensorFlow import: both converters run in child processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from toolkit.convert.api import Progress, convert_model
from toolkit.convert.legacy import LegacyResult, convert_legacy, legacy_options_for, legacy_output_for
from toolkit.convert.options import ConversionReport, ConvertOptions
from toolkit.convert.quantize import RANDOM_CALIBRATION_WARNING
from toolkit.convert.verdict import summary_line
from toolkit.errors import BadInputError, ConversionError, NumericsFailed, ToolkitError

LegacyMode = Literal["no", "only", "both"]
LEGACY_STAGE = "converting with the old converter (TOCO, TF 2.17)"


@dataclass(frozen=True)
class ConvertRun:
    """The outcome of `edgetk convert`: the new converter's report (None under --legacy) and TOCO's result
    (None unless --legacy or --both)."""

    source: str
    output: Path
    report: ConversionReport | None
    legacy: LegacyResult | None

    def document(self) -> dict[str, Any]:
        """edgetk.convert/1 (with a "legacy" block under --both), or edgetk.legacy-convert/1 under --legacy."""
        if self.report is None:
            from toolkit.schemas import document

            assert self.legacy is not None
            return document("edgetk.legacy-convert/1", self.legacy.to_dict())
        doc = self.report.to_json()
        if self.legacy is not None:
            doc["legacy"] = self.legacy.to_dict()
        return doc

    @property
    def random_calibration(self) -> bool:
        """int8 calibrated on random data: said loudly whatever the output format."""
        return self.report is not None and RANDOM_CALIBRATION_WARNING in self.report.warnings

    def failure(self) -> ToolkitError | None:
        """Why the command fails after its output is shown, or None: TOCO refusing the model under --legacy
        (exit 5), a numerics check that did not pass (exit NUMERICS_FAILED, the file kept)."""
        if self.report is None:
            if self.legacy is not None and not self.legacy.ok:
                return ConversionError(f"{self.source}: " + "; ".join(f.message for f in self.legacy.findings))
            return None
        verdict = self.report.numerics_verdict
        if verdict is not None and not verdict.ok:
            return NumericsFailed(f"{summary_line(verdict)}: {verdict.reasons[0]} (file kept: {self.output})")
        return None


def run_convert(source: str, output: Path, options: ConvertOptions, *, check_runtimes: tuple[str, ...] = ("litert",),
                legacy: LegacyMode = "no", legacy_output: Path | None = None,
                progress: Progress | None = None) -> ConvertRun:
    """Convert ``source`` to ``output``; TOCO's options are validated before any conversion starts.

    Raises ConverterFailed / ConversionError / BadInputError as ``convert_model`` does (nothing is written
    then); under --both a TOCO refusal is recorded in ``legacy``, never raised.
    """
    if legacy != "no":
        toco_options = legacy_options_for(options.signature, options.quantize)
    elif legacy_output is not None:
        raise BadInputError("--legacy-output needs --both")
    if legacy == "only":
        return ConvertRun(source, output, None, convert_legacy(source, output, toco_options))
    report = convert_model(source, output, options, check_runtimes=check_runtimes, progress=progress)
    toco = None
    if legacy == "both":
        if progress is not None:
            progress(LEGACY_STAGE)
        toco = convert_legacy(source, legacy_output or legacy_output_for(output), toco_options)
    return ConvertRun(source, output, report, toco)
