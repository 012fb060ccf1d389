"""``--inputs X.npz`` checked on this machine before anything is sent to a device: a missing file, a file
that is not an .npz, arrays a runtime cannot take (object, string), or arrays that do not fit the model's
input tensors are the user's input (exit 2, naming their file and the input tensor), not a runtime failure
on the device (exit 6) or a transport error (exit 4) that names the device-side copy."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from toolkit.errors import BadInputError
from toolkit.text import inert

NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


def _read_npz(path: Path, option: str) -> dict[str, Any]:
    import numpy as np

    if not path.is_file():
        raise BadInputError(f"{option} {inert(str(path))}: no such file (an .npz saved with numpy.savez)")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise BadInputError(f"{option} {inert(str(path))}: a single .npy array, not an .npz (use numpy.savez)")
        with data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # pickled or garbage: not an .npz
        raise BadInputError(f"{option} {inert(str(path))}: not a readable .npz file ({inert(str(exc)[:120])})") from None


def check_inputs_file(path: Path, option: str = "--inputs", needs_prefix: str | None = None) -> dict[str, Any]:
    """The arrays of ``path`` (key -> array) after checking they are numeric. ``needs_prefix``: at least one
    array must be named so (``compare --reference`` needs ``output_<i>``)."""
    arrays = _read_npz(path, option)
    for key, array in arrays.items():
        if array.dtype.kind not in NUMERIC_KINDS:
            raise BadInputError(f"{option} {inert(str(path))}: array '{inert(key)}' has dtype {array.dtype}; model "
                                f"inputs are numeric arrays (save them with numpy.savez)")
    if needs_prefix and not any(k.startswith(needs_prefix) for k in arrays):
        raise BadInputError(f"{option} {inert(str(path))}: no {needs_prefix}<i> array (has: "
                            f"{inert(', '.join(list(arrays)[:5])) or 'none'}); save the expected outputs as "
                            f"{needs_prefix}0, {needs_prefix}1, ...")
    return arrays


def _fits(given: tuple[int, ...], shape: tuple[int, ...], signature: tuple[int, ...] | None) -> bool:
    if signature is None:
        return given == shape
    return len(given) == len(signature) and all(s < 0 or g == s for g, s in zip(given, signature, strict=True))


def check_inputs_fit(path: Path, model: Any, option: str = "--inputs", *, keys: str = "runner",
                     resizable: bool = False) -> None:
    """``path`` holds one numeric array per input tensor of ``model`` (a TfliteModel), each of the tensor's
    shape; otherwise one line naming the user's file, the input tensor, the expected and the given shape.

    ``keys="runner"``: an input is found as the runner finds it (its tensor name, ``input_<i>`` or
    ``arr_<i>``) and must have the tensor's shape exactly (the runner does not resize); ``keys="input_"``:
    ``input_<i>`` only, as ``compare --reference`` reads them, and ``resizable`` lets a dynamic dimension
    (-1 in the shape signature) take any size, as the numerics child resizes."""
    arrays = check_inputs_file(path, option, needs_prefix="output_" if keys == "input_" else None)
    graph = model.main_subgraph
    tensors = [graph.tensors[i] for i in graph.inputs]
    where = f"{option} {inert(str(path))}"
    if keys == "input_":
        given = sum(1 for k in arrays if k.startswith("input_"))
        if given != len(tensors):
            raise BadInputError(f"{where}: {given} input_<i> array(s), the model has {len(tensors)} input(s) "
                                f"({_names(tensors)}); save input_0 ... input_{len(tensors) - 1}")
    for position, tensor in enumerate(tensors):
        candidates = (f"input_{position}",) if keys == "input_" else (tensor.name, f"input_{position}", f"arr_{position}")
        key = next((k for k in candidates if k in arrays), None)
        label = f"input {position} '{inert(tensor.name)}'"
        if key is None:
            raise BadInputError(f"{where}: no array for {label} {list(tensor.shape)} (name it "
                                f"'{inert(tensor.name)}' or input_{position}; has: "
                                f"{inert(', '.join(list(arrays)[:5])) or 'none'})")
        shape = tuple(int(d) for d in arrays[key].shape)
        signature = tuple(tensor.shape_signature) if resizable and tensor.shape_signature else None
        if not _fits(shape, tuple(tensor.shape), signature):
            wants = list(signature) if signature and -1 in signature else list(tensor.shape)
            raise BadInputError(f"{where}: array '{inert(key)}' for {label} has shape {list(shape)}, the model "
                                f"wants {wants}" + (" (-1: any size)" if -1 in wants else ""))


def _names(tensors: list[Any]) -> str:
    return inert(", ".join(t.name for t in tensors[:5]) + (", ..." if len(tensors) > 5 else ""))
