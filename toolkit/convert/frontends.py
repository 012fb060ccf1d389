"""Front-ends: turn a source path into something the converter can trace. Runs inside the worker (imports TF).

Chosen by path (SavedModel directory, .keras/.h5, ``file.py:function``, frozen .pb); ``--format`` overrides.
Each front-end yields a ``LoadedModel``: a callable taking tensors positionally, the input specs (with
None for dynamic dims), and the Keras 3 model when there is one (the RNN rewrite needs its layers).
"""

from __future__ import annotations

import importlib.util
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.convert.options import ConvertOptions
from toolkit.errors import BadInputError


@dataclass
class InputSpec:
    name: str
    shape: list[int | None]
    dtype: str  # numpy dtype name


@dataclass
class LoadedModel:
    frontend: str
    inputs: list[InputSpec]
    fn: Any = None  # callable(*tensors) -> tensor | list | dict
    keras_model: Any = None  # a Keras 3 model, when the source is one
    graphdef_path: str | None = None
    notes: list[str] = field(default_factory=list)


class Frontend(ABC):
    name: str = ""

    @abstractmethod
    def matches(self, source: str) -> bool:
        """True when this front-end recognises the path by its shape."""

    @abstractmethod
    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        """Load the model (imports TensorFlow/Keras lazily)."""


def _keras_loaded(model: Any, frontend: str) -> LoadedModel:
    inputs = [InputSpec(name=_clean(t.name), shape=list(t.shape), dtype=str(t.dtype)) for t in model.inputs]

    def call(*xs: Any) -> Any:
        return model(list(xs) if len(xs) > 1 else xs[0], training=False)

    return LoadedModel(frontend=frontend, inputs=inputs, fn=call, keras_model=model)


def _clean(name: str) -> str:
    return name.split(":")[0]


def _is_keras3(obj: Any) -> bool:
    import keras

    return isinstance(obj, keras.Model)


class SavedModelFrontend(Frontend):
    name = "saved_model"

    def matches(self, source: str) -> bool:
        return Path(source).is_dir() and (Path(source) / "saved_model.pb").exists()

    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        import tensorflow as tf

        loaded = tf.saved_model.load(source)
        keys = list(loaded.signatures.keys())
        key = options.signature or ("serving_default" if "serving_default" in keys else (keys[0] if keys else None))
        if key not in keys:
            raise BadInputError(f"{source}: no signature '{key}' (signatures: {', '.join(keys) or 'none'})")
        sig = loaded.signatures[key]
        specs = sig.structured_input_signature[1]
        names = sorted(specs)
        inputs = [InputSpec(name=n, shape=list(specs[n].shape), dtype=specs[n].dtype.name) for n in names]

        def call(*xs: Any) -> Any:
            out = sig(**dict(zip(names, xs, strict=True)))
            return [out[k] for k in sorted(out)]

        model = LoadedModel(frontend=self.name, inputs=inputs, fn=call)
        model.notes.append(f"signature '{key}'")
        model.fn.keep_alive = loaded  # the signature needs its trackable object alive while tracing
        return model


class KerasFileFrontend(Frontend):
    name = "keras"

    def matches(self, source: str) -> bool:
        return Path(source).suffix in (".keras", ".h5", ".hdf5")

    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        import keras

        try:
            model = keras.models.load_model(source, compile=False)
        except Exception as exc:  # noqa: BLE001 - legacy .h5 files may need Keras 2
            if Path(source).suffix == ".keras":
                raise BadInputError(f"{source}: Keras could not load it ({exc})") from exc
            import tf_keras

            model = tf_keras.models.load_model(source, compile=False)
            return _function_from_tf_keras(model, self.name)
        return _keras_loaded(model, self.name)


def _function_from_tf_keras(model: Any, frontend: str) -> LoadedModel:
    inputs = [InputSpec(name=_clean(t.name), shape=list(t.shape), dtype=t.dtype.name) for t in model.inputs]
    return LoadedModel(frontend=frontend, inputs=inputs,
                       fn=lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False))


class PythonFrontend(Frontend):
    """``path/to/file.py:function``: the function returns a Keras model or a tf.function.

    The user's file is imported by path, so its frames carry the user's file name and line numbers: the
    error tracer can then point at the line that created a failing op.
    """

    name = "python"

    def matches(self, source: str) -> bool:
        file, _, func = source.rpartition(":")
        return file.endswith(".py") and bool(func)

    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        file, _, func_name = source.rpartition(":")
        path = Path(file).resolve()
        if not path.is_file():
            raise BadInputError(f"{file}: no such Python file")
        spec = importlib.util.spec_from_file_location(f"edgetk_user_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        factory = getattr(module, func_name, None)
        if factory is None:
            raise BadInputError(f"{file}: no function '{func_name}'")
        obj = factory()
        return self._from_object(obj, source, options)

    def _from_object(self, obj: Any, source: str, options: ConvertOptions) -> LoadedModel:
        import tensorflow as tf

        if _is_keras3(obj):
            return _keras_loaded(obj, self.name)
        if hasattr(obj, "inputs") and hasattr(obj, "layers"):  # a tf_keras (Keras 2) model
            return _function_from_tf_keras(obj, self.name)
        if isinstance(obj, tf.types.experimental.ConcreteFunction):
            specs = [s for s in tf.nest.flatten(obj.structured_input_signature) if isinstance(s, tf.TensorSpec)]
            return LoadedModel(frontend=self.name, fn=obj, inputs=_specs(specs))
        if hasattr(obj, "get_concrete_function"):
            sig = getattr(obj, "input_signature", None)
            if sig is None and options.input_shapes is None:
                raise BadInputError(f"{source}: the tf.function has no input_signature; pass --input-shapes")
            specs = list(sig) if sig is not None else [
                tf.TensorSpec(s, tf.float32, name=f"input_{i}") for i, s in enumerate(options.input_shapes or ())]
            return LoadedModel(frontend=self.name, fn=obj, inputs=_specs(specs))
        raise BadInputError(f"{source}: returned {type(obj).__name__}, expected a Keras model or a tf.function")


def _specs(specs: list[Any]) -> list[InputSpec]:
    return [InputSpec(name=s.name or f"input_{i}", shape=list(s.shape), dtype=s.dtype.name)
            for i, s in enumerate(specs)]


class GraphDefFrontend(Frontend):
    name = "graphdef"

    def matches(self, source: str) -> bool:
        return Path(source).suffix == ".pb" and Path(source).is_file()

    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        if not options.input_arrays or not options.output_arrays:
            raise BadInputError(f"{source}: a frozen GraphDef needs --input-arrays and --output-arrays")
        shapes = options.input_shapes or ()
        inputs = [InputSpec(name=n, shape=list(shapes[i]) if i < len(shapes) else [], dtype="float32")
                  for i, n in enumerate(options.input_arrays)]
        return LoadedModel(frontend=self.name, inputs=inputs, graphdef_path=source)


FRONTENDS: list[Frontend] = [SavedModelFrontend(), KerasFileFrontend(), PythonFrontend(), GraphDefFrontend()]


def pick_frontend(source: str, fmt: str = "auto") -> Frontend:
    """The front-end named by --format, else the first whose path shape matches."""
    if fmt != "auto":
        for fe in FRONTENDS:
            if fe.name == fmt:
                return fe
        raise BadInputError(f"unknown --format '{fmt}' (known: {', '.join(f.name for f in FRONTENDS)})")
    for fe in FRONTENDS:
        if fe.matches(source):
            return fe
    raise BadInputError(f"{source}: not a SavedModel directory, .keras/.h5 file, file.py:function or .pb file")
