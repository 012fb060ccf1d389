"""Runs INSIDE the legacy TF 2.17 venv (child process): convert one source with TOCO and print the outcome.

Self-contained (stdlib + that env's TensorFlow): it must not import ``toolkit``, whose dependencies are not
installed there. Input: one JSON argument (source, out, options). Output: one line
``EDGETK_LEGACY_RESULT {json}`` on stdout. TOCO refusing the model is a normal result (``ok`` false with
the converter's message), so the parent can turn it into findings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import sys
import traceback


def _load_function_source(spec: str, signature: str | None = None):
    """``file.py:NAME`` -> the model it names: NAME itself when it is a Keras model, tf.function, ConcreteFunction
    or tf.Module (its ``--signature`` method, else ``__call__``, else its only tf.function), else what NAME()
    returns. The same sources as edgetk's own front-end (toolkit/convert/frontends.py), without toolkit."""
    import inspect

    file_name, func_name = spec.rsplit(":", 1)
    module_spec = importlib.util.spec_from_file_location("edgetk_legacy_source", file_name)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(file_name)))
    module_spec.loader.exec_module(module)
    obj = getattr(module, func_name)
    if inspect.isfunction(obj) and not hasattr(obj, "get_concrete_function"):
        obj = obj()
    if hasattr(obj, "layers") or hasattr(obj, "get_concrete_function") or hasattr(obj, "structured_input_signature"):
        return obj
    methods = {a: getattr(obj, a) for a in dir(type(obj)) if (not a.startswith("_") or a == "__call__")
               and hasattr(getattr(obj, a, None), "get_concrete_function")}
    name = signature or ("__call__" if "__call__" in methods else next(iter(methods)) if len(methods) == 1 else None)
    if name not in methods:
        raise ValueError(f"{spec}: choose one of the tf.Module's tf.functions {sorted(methods)} with --signature")
    return methods[name]


def _load_keras_file(path: str):
    """Load .h5/.keras with tf-keras 2.17, accepting the InputLayer config newer Keras versions write.

    tf-keras 2.21 adds ``optional`` and Keras 3 says ``batch_shape`` where 2.17 wants
    ``batch_input_shape``; everything else in a Keras-2-API model file loads as is.
    """
    import tf_keras

    class CompatInputLayer(tf_keras.layers.InputLayer):
        def __init__(self, *args, batch_shape=None, optional=None, **kwargs):
            if batch_shape is not None and "batch_input_shape" not in kwargs:
                kwargs["batch_input_shape"] = batch_shape
            super().__init__(*args, **kwargs)

    return tf_keras.models.load_model(path, compile=False, custom_objects={"InputLayer": CompatInputLayer})


def _converter_for(tf, request: dict):
    source = request["source"]
    if os.path.isdir(source):
        keys = [request["signature_key"]] if request.get("signature_key") else None
        return tf.lite.TFLiteConverter.from_saved_model(source, signature_keys=keys)
    if source.endswith((".h5", ".keras")):
        model = _load_keras_file(source)
        return tf.lite.TFLiteConverter.from_keras_model(model)
    obj = _load_function_source(source, request.get("signature_key"))
    if hasattr(obj, "layers") and hasattr(obj, "predict"):
        return tf.lite.TFLiteConverter.from_keras_model(obj)
    functions = obj if isinstance(obj, (list, tuple)) else [obj]
    concrete = [f.get_concrete_function() if hasattr(f, "get_concrete_function") else f for f in functions]
    return tf.lite.TFLiteConverter.from_concrete_functions(concrete)


def _run_toco_with_this_python() -> None:
    """TOCO runs its ``toco_from_protos`` console script through a shell, and that script's shebang names
    the Python the env was created with: a moved or shared env (another checkout sharing the cache, a
    restored CI cache) fails with "toco_from_protos: not found". A wrapper in the env that runs the module
    with this interpreter is used instead (rewritten each time, so it always names the current path)."""
    from tensorflow.lite.python import convert as tf_convert

    wrapper = os.path.join(sys.prefix, "bin", "edgetk-toco-from-protos")
    if any(ch.isspace() for ch in wrapper):
        return  # TF joins the command with spaces for a shell: keep its own binary
    partial = f"{wrapper}.{os.getpid()}"  # written aside and renamed: a concurrent worker never runs half a file
    with open(partial, "w") as fh:
        fh.write(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tensorflow.lite.toco.python.toco_from_protos"
                 ' "$@"\n')
    os.chmod(partial, 0o755)
    os.replace(partial, wrapper)
    tf_convert._deprecated_conversion_binary = wrapper  # noqa: SLF001 - the module's own setting for it


def convert(request: dict) -> dict:
    import tensorflow as tf

    reply = {"tf_version": tf.__version__}
    _run_toco_with_this_python()
    try:
        converter = _converter_for(tf, request)
        converter.experimental_new_converter = False  # TOCO: the whole point of this environment
        if request.get("optimize_default"):
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.allow_custom_ops = bool(request.get("allow_custom_ops"))
        flatbuffer = converter.convert()
    except Exception as exc:  # noqa: BLE001 - every converter failure is reported to the parent
        reply.update(ok=False, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc()[-2000:])
        return reply
    with open(request["out"], "wb") as fh:
        fh.write(flatbuffer)
    reply.update(ok=True, bytes=len(flatbuffer))
    return reply


def main() -> int:
    request = json.loads(sys.argv[1])
    reply = convert(request)
    sys.stdout.write("EDGETK_LEGACY_RESULT " + json.dumps(reply) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
