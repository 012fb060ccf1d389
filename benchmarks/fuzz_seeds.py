"""Seed models for the model fuzzer: real converter output plus hand-built control-flow and cyclic graphs.

Why these: mutating what TensorFlow really writes (a conv net, a Keras 3 LSTM that lowers to WHILE with
cond/body subgraphs) reaches the code paths users hit; the builder models add features the converter
rarely emits (SELECT v1, DENSIFY, resource variables, CUSTOM/Flex ops, dynamic batch); and the cyclic
models (a WHILE body that runs itself, cond == body, main calling main, two subgraphs calling each other)
are *valid* flatbuffers that only a graph walk without a visited set would recurse on forever.

TensorFlow runs once, in a child process, and its output is cached by the script's hash.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

# One child process makes both models: TF's import is the expensive part.
_TF_SCRIPT = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
import keras
keras.utils.set_random_seed(0)

def save(model, shape, path):
    cf = tf.function(model).get_concrete_function(tf.TensorSpec(shape, tf.float32))
    open(path, "wb").write(tf.lite.TFLiteConverter.from_concrete_functions([cf]).convert())

conv = keras.Sequential([
    keras.Input(shape=(8, 8, 3), batch_size=1),
    keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
    keras.layers.DepthwiseConv2D(3, padding="valid"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dense(5),
    keras.layers.Softmax(),
])
save(conv, [1, 8, 8, 3], sys.argv[1])
lstm = keras.Sequential([keras.Input(shape=(5, 3), batch_size=1), keras.layers.LSTM(4), keras.layers.Dense(2)])
save(lstm, [1, 5, 3], sys.argv[2])
"""

TF_SEEDS = ("tf-conv", "tf-lstm-while")


def ensure_tf_seeds(cache: Path, timeout: float = 600) -> dict[str, Path]:
    """The two TensorFlow-converted seeds, converted once per script version and cached under ``cache``."""
    key = hashlib.sha256(_TF_SCRIPT.encode()).hexdigest()[:12]
    out = cache / "test-models" / f"fuzz-seeds-{key}"
    paths = {name: out / f"{name}.tflite" for name in TF_SEEDS}
    if all(p.exists() for p in paths.values()):
        return paths
    out.mkdir(parents=True, exist_ok=True)
    tmp = [out / f".{name}.{os.getpid()}.tmp" for name in TF_SEEDS]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", _TF_SCRIPT, *map(str, tmp)], capture_output=True, text=True,
                          timeout=timeout, env=env)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"converting the fuzz seeds failed: {proc.stderr.strip().splitlines()[-1:]}")
    for src, name in zip(tmp, TF_SEEDS, strict=True):
        os.replace(src, paths[name])  # atomic: a parallel run never reads half a model
    return paths


def _while_options(cond: int, body: int):
    from toolkit.model.builder import schema

    opts = schema().WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = cond, body
    return opts


def cyclic_while_model(kind: str) -> bytes:
    """A structurally valid model whose control flow calls form a cycle.

    kinds: "self-body" (the body runs a WHILE whose body is itself), "cond-is-body" (one subgraph is both),
    "main-calls-main" (subgraph 0 loops over itself), "mutual" (cond and body each run a WHILE of the other).
    """
    from toolkit.model.builder import ModelBuilder

    b = ModelBuilder(description=f"edgetk fuzz cyclic {kind}")
    cond, body = b.new_subgraph("cond"), b.new_subgraph("body")
    x, y = b.add_tensor([1, 4], name="x"), b.add_tensor([1, 4], name="y")
    main_calls = {"main-calls-main": (0, 0), "cond-is-body": (body, body)}.get(kind, (cond, body))
    b.add_op("WHILE", [x], [y], options=_while_options(*main_calls))
    b.set_io([x], [y])
    for sg in (cond, body):
        a, c = b.add_tensor([1, 4], subgraph=sg), b.add_tensor([1, 4], subgraph=sg)
        calls = {"self-body": (cond, body), "mutual": (body, cond) if sg == cond else (cond, body)}.get(kind)
        if calls is not None and (kind == "mutual" or sg == body):
            b.add_op("WHILE", [a], [c], options=_while_options(*calls), subgraph=sg)
        else:
            b.add_op("RELU", [a], [c], subgraph=sg)
        b.set_io([a], [c], subgraph=sg)
    return b.build()


CYCLIC_KINDS = ("self-body", "cond-is-body", "main-calls-main", "mutual")


def builder_seeds() -> dict[str, bytes]:
    """Small valid models, one feature each, plus the cyclic control-flow graphs."""
    from toolkit.model import builder

    seeds = {
        "while": builder.while_model(),
        "select-v1": builder.select_model(1),
        "densify": builder.densify_model(),
        "dequantize-f16": builder.dequantize_model("float16"),
        "resource-vars": builder.resource_variable_model(),
        "custom-op": builder.custom_op_model(),
        "flex-op": builder.flex_op_model(),
        "dynamic-batch": builder.dynamic_batch_model(),
    }
    seeds.update({f"cyclic-{kind}": cyclic_while_model(kind) for kind in CYCLIC_KINDS})
    return seeds


def all_seeds(cache: Path) -> dict[str, bytes]:
    """Every seed by name: the TF-converted files first, then the builder models."""
    seeds = {name: path.read_bytes() for name, path in ensure_tf_seeds(cache).items()}
    seeds.update(builder_seeds())
    return seeds
