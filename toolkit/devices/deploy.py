"""`edgetk deploy`: put a model and the device-side runner on a device, verified, and say where they are.

The files land in the device's content-addressed cache (``<remote_dir>/blobs/<sha256>``), which outlives
the run directory: a later bench of the same model sends nothing. "cached" says the device already had it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from toolkit.devices.connect import transport_for_device
from toolkit.devices.inventory import Device, load_inventory
from toolkit.errors import BadInputError
from toolkit.runtimes.protocol import RUNNER_PATH

RUNNER = RUNNER_PATH


@dataclass(frozen=True)
class DeployedFile:
    name: str
    remote_path: str  # content-addressed, survives the run
    sha256: str
    size_bytes: int
    cached: bool
    bytes_sent: int


@dataclass(frozen=True)
class DeployResult:
    device: str
    transport: str
    files: tuple[DeployedFile, ...]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def deploy_model(
    model: Path,
    device: str | Device,
    *,
    inventory: Path | str | None = None,
    trust_new_host_key: bool = False,
    ask_password: bool = False,
) -> DeployResult:
    """Upload ``model`` and runner.py to an SSH or adb device (hash-verified, cached by content)."""
    model = Path(model)
    if not model.is_file():
        raise BadInputError(f"{model}: no such model file")
    entry = load_inventory(inventory).get(device) if isinstance(device, str) else device
    transport = transport_for_device(entry, trust_new_host_key=trust_new_host_key, ask_password=ask_password)
    if not transport.keeps_files:
        raise BadInputError(f"device '{entry.name}' uses the {entry.transport} transport: nothing to deploy")
    files = []
    with transport:
        for path in (model, RUNNER):
            rec = transport.put_record(path)
            files.append(DeployedFile(rec.name, rec.blob_path, rec.sha256, path.stat().st_size, rec.cached,
                                      rec.bytes_sent))
    return DeployResult(entry.name, entry.transport, tuple(files))
