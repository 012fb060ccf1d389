"""The target descriptor schema: what edgetk knows about a device class, validated strictly.

Descriptors are data (TOML files under targets/ and user dirs). The schema forbids unknown keys so a typo
in a descriptor is an error naming the key, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from toolkit.documents import Record

RuntimeName = Literal["litert", "tflite-runtime", "tflm"]
KernelFamily = Literal["reference", "cmsis-nn", "esp-nn"]


class RuntimeSpec(Record):
    name: RuntimeName
    version: str
    op_table: str = Field(description="file name under toolkit/targets/shipped/optables/ (or the user's "
                          "optables dir) produced by `edgetk targets probe`")
    alternatives: list[str] = Field(default_factory=list, description="other runtimes that also work here")
    kernels: KernelFamily | None = Field(
        default=None, description="tflm only: the kernel family the firmware is built with (default reference)"
    )

    @model_validator(mode="after")
    def _kernels_need_tflm(self) -> RuntimeSpec:
        if self.kernels is not None and self.name != "tflm":
            raise ValueError(f"kernels = '{self.kernels}' applies to runtime 'tflm' only (this runtime is '{self.name}')")
        return self


class CpuSpec(Record):
    arch: str
    cores: int = Field(ge=1)
    clock_hz: float = Field(ge=1e3, le=1e11, allow_inf_nan=False, description="1 kHz .. 100 GHz")
    macs_per_cycle: float = Field(gt=0, le=1e6, allow_inf_nan=False,
                                  description="peak multiply-accumulates per cycle per core")


class MemorySpec(Record):
    ram_bytes: int | None = Field(default=None, gt=0)
    flash_bytes: int | None = Field(default=None, gt=0)
    notes: str = ""


class DtypeSpec(Record):
    unsupported: list[str] = Field(default_factory=list, description="tensor dtypes the target cannot run")
    notes: str = ""


class DelegateSpec(Record):
    name: Literal["xnnpack", "gpu", "nnapi"]
    ops: list[str] | None = Field(default=None, description="ops the delegate takes per its docs (predicted from "
                                  "docs); others fall back to CPU")
    op_table: str | None = Field(default=None, description="measured delegate table under "
                                 "toolkit/targets/shipped/optables/ (`edgetk targets probe --accelerator gpu`); wins over `ops`")
    source: str = ""
    note: str = ""


class ReachSpec(Record):
    transport: Literal["local", "emulator", "tflm", "ssh", "adb"]
    image: str | None = None
    cpu: str | None = None  # emulator: qemu -cpu model of the real core (None = the image's default)


class RnnSpec(Record):
    prefer: Literal["fused", "loop"] | None = None


class TargetDescriptor(Record):
    """One target: runtime + op table, CPU, memory budgets, dtype limits, delegates and how to reach it."""

    name: str
    title: str = ""
    extends: str | None = None
    runtime: RuntimeSpec
    cpu: CpuSpec
    memory: MemorySpec = MemorySpec()
    dtypes: DtypeSpec = DtypeSpec()
    delegates: list[DelegateSpec] = Field(default_factory=list)
    reach: ReachSpec
    rnn: RnnSpec = RnnSpec()
    dynamic_shapes: bool = True
    resource_variables: bool = True
    custom_ops: list[str] = Field(default_factory=list, description="custom ops the deployment registers")
    notes: str = ""
    source_file: str = Field(default="", exclude=True, description="where the descriptor was loaded from")
