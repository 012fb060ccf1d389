"""``--inputs X.npz`` checked on this machine before anything is sent to a device: a missing file, a file
that is not an .npz, or arrays a runtime cannot take (object, string) are the user's input (exit 2, naming
their file), not a runtime failure on the device (exit 6) or a transport error (exit 4)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from toolkit.errors import BadInputError

NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


def check_inputs_file(path: Path, option: str = "--inputs", needs_prefix: str | None = None) -> None:
    """``needs_prefix``: at least one array must be named so (``compare --reference`` needs ``output_<i>``)."""
    import numpy as np

    if not path.is_file():
        raise BadInputError(f"{option} {path}: no such file (an .npz saved with numpy.savez)")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise BadInputError(f"{option} {path}: a single .npy array, not an .npz (use numpy.savez)")
        with data:
            for key in data.files:
                dtype = data[key].dtype
                if dtype.kind not in NUMERIC_KINDS:
                    raise BadInputError(f"{option} {path}: array '{key}' has dtype {dtype}; model inputs are "
                                        f"numeric arrays (save them with numpy.savez)")
            if needs_prefix and not any(k.startswith(needs_prefix) for k in data.files):
                raise BadInputError(f"{option} {path}: no {needs_prefix}<i> array (has: "
                                    f"{', '.join(data.files[:5]) or 'none'}); save the expected outputs as "
                                    f"{needs_prefix}0, {needs_prefix}1, ...")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # pickled or garbage: not an .npz
        raise BadInputError(f"{option} {path}: not a readable .npz file ({str(exc)[:120]})") from None
