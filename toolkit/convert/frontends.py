"""Front-ends: turn a source path into something the converter can trace. Runs inside the worker (imports TF).

Chosen by path (SavedModel directory, .keras/.h5, ``file.py:function``, frozen .pb); ``--format`` overrides.
Each front-end yields a ``LoadedModel``: a callable taking tensors positionally, the input specs (with
None for dynamic dims), and the Keras 3 model when there is one (the RNN rewrite needs its layers).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.convert.options import ConvertOptions
from toolkit.errors import BadInputError, UnknownNameError, did_you_mean


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
    notes: list[str] = field(default_factory=list)
    signature_key: str = "serving_default"  # written into the .tflite's SignatureDef
    output_names: list[str] | None = None  # signature output keys; None: taken from the traced outputs


NO_KERAS_FUSED_FIX = ("--rnn fused rebuilds Keras layers and this {kind} source has no Keras model: convert the "
                      ".keras/.h5 file or a file.py:NAME that gives the Keras model, or pass --rnn auto (keeps the "
                      "RNN form the graph was traced in)")


def refuse_fused_without_keras(kind: str, options: ConvertOptions) -> None:
    """--rnn fused cannot be honoured without Keras layers to rebuild: say so instead of ignoring it."""
    if options.rnn == "fused":
        raise BadInputError(NO_KERAS_FUSED_FIX.format(kind=kind))


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

    return LoadedModel(frontend=frontend, inputs=inputs, fn=call, keras_model=model,
                       output_names=_keras_output_names(model))


def _keras_output_names(model: Any) -> list[str] | None:
    """The output layer names of a functional model with list/single outputs (dict outputs keep their keys)."""
    if isinstance(getattr(model, "output", None), dict):
        return None
    names = list(getattr(model, "output_names", None) or [])
    return names or None


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
        refuse_fused_without_keras("SavedModel", options)
        if _needs_static_lists(sig, inputs):
            model = _pretraced_signature(sig, inputs, options)
            model.output_names = sorted(sig.structured_outputs)
        else:
            def call(*xs: Any) -> Any:
                return sig(**dict(zip(names, xs, strict=True)))  # a dict: its keys become the output keys

            call.keep_alive = loaded  # the signature needs its trackable object alive while tracing
            model = LoadedModel(frontend=self.name, inputs=inputs, fn=call)
        model.signature_key = key
        return model


def _needs_static_lists(signature: Any, inputs: list[InputSpec]) -> bool:
    """True for a dynamic-batch signature whose graph makes TensorLists (a pre-traced RNN, e.g. Keras export)."""
    from toolkit.convert import graphdef

    if not any(s.shape and s.shape[0] is None for s in inputs):
        return False
    gdef = signature.graph.as_graph_def()
    ops = {n.op for n in gdef.node} | {n.op for f in gdef.library.function for n in f.node_def}
    return bool(ops & set(graphdef.LIST_OPS))


def _fixed_shape(spec: InputSpec, i: int, options: ConvertOptions) -> list[int | None]:
    """The shape the worker will trace at (same rule as rnn.fix_input_shapes), to bake into a GraphDef."""
    if options.input_shapes and i < len(options.input_shapes):
        return list(options.input_shapes[i])
    shape = list(spec.shape)
    if shape and shape[0] is None:
        shape[0] = options.batch
    if len(shape) > 1 and shape[1] is None and options.seq_len:
        shape[1] = options.seq_len
    return shape


def _static_graph(graph_def: Any, inputs: list[InputSpec], input_names: list[str], output_names: list[str],
                  options: ConvertOptions, frontend: str) -> LoadedModel:
    """A LoadedModel over a GraphDef whose placeholders and TensorList element shapes are fixed."""
    from toolkit.convert import graphdef

    shapes = [_fixed_shape(s, i, options) for i, s in enumerate(inputs)]
    graphdef.set_placeholder_shapes(graph_def, {graphdef.node_name(n): s for n, s in zip(input_names, shapes,
                                                                                           strict=True)})
    model = LoadedModel(frontend=frontend, inputs=inputs)
    batches = {s[0] for s in shapes if s and s[0] is not None}
    dynamic_batch = any(s.shape and s.shape[0] is None for s in inputs)
    if dynamic_batch and len(batches) == 1:  # a -1 list dim is then the batch the graph was traced with
        lists = graphdef.fix_list_element_shapes(graph_def, batches.pop())
        if lists:
            model.notes.append(f"pre-traced graph: batch written into the element shape of {len(lists)} "
                               "TensorList(s)")
    model.fn = graphdef.graph_function(graph_def, input_names, output_names)
    return model


def _pretraced_signature(signature: Any, inputs: list[InputSpec], options: ConvertOptions) -> LoadedModel:
    """Freeze a dynamic-batch signature and fix its TensorList shapes: retracing a loaded graph cannot."""
    from toolkit.convert import graphdef

    graph_def, input_names, output_names = graphdef.freeze_signature(signature)
    return _static_graph(graph_def, inputs, input_names, output_names, options, SavedModelFrontend.name)


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
    """``path/to/file.py:NAME``: a Keras model, a tf.function, a ConcreteFunction, a tf.Module, or a function
    returning any of these.

    The user's file is imported by path, so its frames carry the user's file name and line numbers: the
    error tracer can then point at the line that created a failing op.
    """

    name = "python"

    def matches(self, source: str) -> bool:
        file, _, func = source.rpartition(":")
        return file.endswith(".py") and bool(func)

    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        file, _, name = source.rpartition(":")
        path = Path(file).resolve()
        if not path.is_file():
            raise BadInputError(f"{file}: no such file")
        spec = importlib.util.spec_from_file_location(f"edgetk_user_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        obj = getattr(module, name, None)
        if obj is None:
            names = [n for n, v in vars(module).items() if not n.startswith("_") and _is_source_object(v, spec.name)]
            raise UnknownNameError(f"model source in {file}", name, names,
                                   when_empty="the file defines no function, model or tf.function; give file.py:NAME")
        if _plain_function(obj):  # a builder: what it returns is the model
            obj = obj()
        return self._from_object(obj, source, options)

    def _from_object(self, obj: Any, source: str, options: ConvertOptions) -> LoadedModel:
        import tensorflow as tf

        if _is_keras3(obj):
            return _keras_loaded(obj, self.name)
        if hasattr(obj, "inputs") and hasattr(obj, "layers"):  # a tf_keras (Keras 2) model
            return _function_from_tf_keras(obj, self.name)
        refuse_fused_without_keras("tf.function/tf.Module", options)
        if isinstance(obj, tf.types.experimental.ConcreteFunction):
            specs = [s for s in tf.nest.flatten(obj.structured_input_signature) if isinstance(s, tf.TensorSpec)]
            return LoadedModel(frontend=self.name, fn=obj, inputs=_specs(specs, _arg_names(obj)))
        key = "serving_default"
        if not hasattr(obj, "get_concrete_function") and isinstance(obj, tf.Module):
            key, obj = _module_method(obj, source, options.signature)
        if hasattr(obj, "get_concrete_function"):
            sig = getattr(obj, "input_signature", None)
            if sig is None and options.input_shapes is None:
                raise BadInputError(f"{source}: the tf.function has no input_signature; pass --input-shape "
                                    "(e.g. --input-shape 1,28,28,1, one shape per argument, ':'-separated)")
            names = _arg_names(obj)
            specs = list(sig) if sig is not None else [
                tf.TensorSpec(s, tf.float32, name=names[i] if i < len(names) else f"input_{i}")
                for i, s in enumerate(options.input_shapes or ())]
            return LoadedModel(frontend=self.name, fn=obj, inputs=_specs(specs, names), signature_key=key)
        raise BadInputError(f"{source}: is {type(obj).__name__}; expected a Keras model, tf.function, "
                            "ConcreteFunction, tf.Module or a function returning one")


def _is_source_object(value: Any, module_name: str) -> bool:
    """What file.py:NAME may name: the file's own functions, tf.functions, modules and models."""
    if hasattr(value, "get_concrete_function") or hasattr(value, "structured_input_signature"):
        return True
    if callable(value) and getattr(value, "__module__", None) == module_name:
        return True
    return hasattr(value, "layers") and hasattr(value, "inputs")


def _plain_function(obj: Any) -> bool:
    """A Python function (a builder to call), as opposed to a tf.function, model or module."""
    import inspect

    return inspect.isfunction(obj) and not hasattr(obj, "get_concrete_function")


def _module_method(module: Any, source: str, wanted: str | None) -> tuple[str, Any]:
    """(signature key, tf.function) of a tf.Module: ``--signature NAME``, else ``__call__``, else the only one."""
    methods = {}
    for attr in dir(type(module)):
        if attr.startswith("_") and attr != "__call__":
            continue
        value = getattr(module, attr, None)
        if hasattr(value, "get_concrete_function"):
            methods[attr] = value
    listed = ", ".join(sorted(methods)) or "none"
    if wanted:
        if wanted not in methods:
            raise BadInputError(f"{source}: the tf.Module has no tf.function '{wanted}' (its tf.functions: {listed})")
        return wanted, methods[wanted]
    if "__call__" in methods:
        return "serving_default", methods["__call__"]
    if len(methods) == 1:
        name, fn = next(iter(methods.items()))
        return name, fn
    raise BadInputError(f"{source}: the tf.Module has several tf.functions ({listed}); choose one with --signature")


def _arg_names(fn: Any) -> list[str]:
    """The Python parameter names of a tf.function / ConcreteFunction (input names when specs have none)."""
    import inspect

    target = getattr(fn, "python_function", None) or getattr(getattr(fn, "function_type", None), "parameters", None)
    try:
        if isinstance(target, dict) or hasattr(target, "values"):
            return [p for p in target if p != "self"]
        return [p for p in inspect.signature(target).parameters if p != "self"] if target else []
    except (TypeError, ValueError):
        return []


def _specs(specs: list[Any], names: list[str] | None = None) -> list[InputSpec]:
    names = names or []
    return [InputSpec(name=s.name or (names[i] if i < len(names) else f"input_{i}"), shape=list(s.shape),
                      dtype=s.dtype.name) for i, s in enumerate(specs)]


class GraphDefFrontend(Frontend):
    name = "graphdef"

    def matches(self, source: str) -> bool:
        return Path(source).suffix == ".pb" and Path(source).is_file()

    def load(self, source: str, options: ConvertOptions) -> LoadedModel:
        from toolkit.convert import graphdef

        check_graphdef_options(source, options)
        graph_def = graphdef.read_graph_def(source)
        graphdef.check_arrays(graph_def, options.input_arrays, options.output_arrays, source)
        inputs = []
        for i, name in enumerate(options.input_arrays):
            shape, dtype = graphdef.placeholder_spec(graph_def, name)
            if shape is None:  # unknown rank: only --input-shapes can say
                if not options.input_shapes:
                    raise BadInputError(f"{source}: input '{name}' has no shape in the graph; pass --input-shapes")
                shape = list(options.input_shapes[i])
            inputs.append(InputSpec(name=graphdef.node_name(name), shape=shape, dtype=dtype))
        refuse_fused_without_keras("frozen GraphDef", options)
        model = _static_graph(graph_def, inputs, list(options.input_arrays), list(options.output_arrays), options,
                              self.name)
        model.output_names = [graphdef.node_name(n) for n in options.output_arrays]
        return model


def check_graphdef_options(source: str, options: ConvertOptions) -> None:
    """A frozen GraphDef has no signature: its input and output arrays must be named (no TF needed)."""
    missing = [flag for flag, names in (("--input-arrays", options.input_arrays),
                                        ("--output-arrays", options.output_arrays)) if not names]
    if missing:
        raise BadInputError(f"{source}: a frozen GraphDef needs {' and '.join(missing)} (node names)")
    if options.input_shapes and len(options.input_shapes) != len(options.input_arrays):
        raise BadInputError(f"{source}: --input-shapes gives {len(options.input_shapes)} shape(s) for "
                            f"{len(options.input_arrays)} --input-arrays")


FRONTENDS: list[Frontend] = [SavedModelFrontend(), KerasFileFrontend(), PythonFrontend(), GraphDefFrontend()]


def _source_problem(source: str) -> BadInputError | None:
    """A source that cannot be converted, said before TensorFlow is imported: a typo'd path (with the near
    names in its directory), or a file that already is a .tflite model."""
    path = Path(source.rpartition(":")[0] if ".py:" in source else source)
    if path.suffix == ".tflite" and path.is_file():
        return BadInputError(f"{path} is already a .tflite model: inspect or check it directly "
                             f"(`edgetk inspect {path}`, `edgetk check {path} --all-targets`)")
    if path.exists():
        return None
    if not path.parent.is_dir():
        return BadInputError(f"{path}: no such file or directory (no directory {path.parent})")
    near = did_you_mean(path.name, sorted(p.name for p in itertools.islice(path.parent.iterdir(), 5000)),
                        prefixes=False)
    hint = f" (did you mean {' or '.join(str(path.parent / n) for n in near)}?)" if near else ""
    return BadInputError(f"{path}: no such file or directory{hint}")


def pick_frontend(source: str, fmt: str = "auto") -> Frontend:
    """The front-end named by --format, else the first whose path shape matches."""
    problem = _source_problem(source)
    if problem is not None:
        raise problem
    if fmt != "auto":
        for fe in FRONTENDS:
            if fe.name == fmt:
                return fe
        raise UnknownNameError("--format", fmt, [f.name for f in FRONTENDS])
    for fe in FRONTENDS:
        if fe.matches(source):
            return fe
    path = source.rpartition(":")[0] if ".py:" in source else source
    if not Path(path).exists():
        raise BadInputError(f"{path}: no such file or directory")
    raise BadInputError(f"{source}: not a SavedModel directory, .keras/.h5 file, file.py:function or .pb file")
