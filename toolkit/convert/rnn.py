"""Fixed-batch RNN handling: find RNN/loop structure, fix dynamic dims, and build the fused LSTM form.

Why: Keras 3 LSTMs with a dynamic batch fail in TF 2.21 (TensorListReserve needs a static element shape);
traced at a fixed batch they become a WHILE loop. TF 2.21 only fuses LSTMs into UNIDIRECTIONAL_SEQUENCE_LSTM
for functions carrying Keras 2's ``api_implements="lstm_<id>"`` attribute, so the fused form is obtained by
rebuilding the Keras 3 layers as tf_keras (Keras 2) layers with the same weights (identical i,f,c,o layout;
verified numerically on every conversion by the report's numerical check). Runs inside the worker.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from toolkit.convert.frontends import InputSpec
from toolkit.errors import ConversionError

RNN_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
LOOP_OPS = {"While", "StatelessWhile", "TensorListReserve", "TensorListFromTensor", "TensorListStack",
            "TensorArrayV3", "TensorListSetItem"}
# Layers the tf_keras rebuild knows how to map one to one (same name, same weights).
_REBUILDABLE = {"InputLayer", "Dense", "Embedding", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "Dropout",
                "Flatten", "Reshape", "Concatenate", "Add", "Multiply", "Activation", "ReLU", "Softmax",
                "TimeDistributed", "LayerNormalization", "BatchNormalization", "Conv1D", "GlobalAveragePooling1D",
                "GlobalMaxPooling1D", "MaxPooling1D", "AveragePooling1D", "Masking", "RepeatVector", "Permute"}
_SKIP_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


@dataclass
class RnnInfo:
    layers: list[str] = field(default_factory=list)  # "LSTM(lstm)", ...
    lstm_count: int = 0
    gru_count: int = 0
    stateful: list[str] = field(default_factory=list)
    masking: list[str] = field(default_factory=list)
    graph_loops: set[str] = field(default_factory=set)

    @property
    def has_rnn(self) -> bool:
        return bool(self.layers)

    @property
    def has_loops(self) -> bool:
        return self.has_rnn or bool(self.graph_loops)


def _walk_layers(layer: Any) -> list[Any]:
    found = []
    for sub in getattr(layer, "layers", None) or []:
        found.append(sub)
        found.extend(_walk_layers(sub))
    for attr in ("forward_layer", "backward_layer", "layer"):
        sub = getattr(layer, attr, None)
        if sub is not None and sub is not layer and hasattr(sub, "get_config"):
            found.append(sub)
            found.extend(_walk_layers(sub))
    return found


def inspect_keras(model: Any) -> RnnInfo:
    """RNN layers, stateful ones and masking sources of a Keras model (recursing into wrappers)."""
    info = RnnInfo()
    for layer in _walk_layers(model):
        cls = type(layer).__name__
        cfg = layer.get_config() if hasattr(layer, "get_config") else {}
        if cls in RNN_CLASSES:
            info.layers.append(f"{cls}({layer.name})")
            info.lstm_count += cls == "LSTM"
            info.gru_count += cls == "GRU"
            if cfg.get("stateful"):
                info.stateful.append(layer.name)
        if cls == "Masking" or (cls == "Embedding" and cfg.get("mask_zero")):
            info.masking.append(layer.name)
    return info


def graph_loop_ops(concrete_fn: Any) -> set[str]:
    """Loop/TensorList op types anywhere in a traced graph (including its function library)."""
    gdef = concrete_fn.graph.as_graph_def()
    types = {n.op for n in gdef.node}
    for fn in gdef.library.function:
        types.update(n.op for n in fn.node_def)
    return types & LOOP_OPS


def fix_input_shapes(inputs: list[InputSpec], batch: int, seq_len: int | None,
                     overrides: tuple[tuple[int, ...], ...] | None, needs_static: bool) -> tuple[list[InputSpec], list[str]]:
    """Fixed shapes for tracing plus the human-readable list of fixes applied.

    The batch is always fixed (on-device inference runs one batch size; RNNs need it static). Other dynamic
    dims are fixed from --seq-len (dim 1) or --input-shapes; RNN/loop models refuse to guess them.
    """
    fixed: list[InputSpec] = []
    fixes: list[str] = []
    for i, spec in enumerate(inputs):
        if overrides and i < len(overrides):
            shape = list(overrides[i])
            if shape != spec.shape:
                fixes.append(f"input '{spec.name}' shape set to {shape} (was {_fmt(spec.shape)})")
            fixed.append(InputSpec(spec.name, shape, spec.dtype))
            continue
        shape = list(spec.shape)
        if shape and shape[0] is None:
            shape[0] = batch
            fixes.append(f"batch of '{spec.name}' fixed to {batch} (was dynamic)")
        if len(shape) > 1 and shape[1] is None and seq_len:
            shape[1] = seq_len
            fixes.append(f"sequence length of '{spec.name}' fixed to {seq_len} (was dynamic)")
        missing = [d for d, v in enumerate(shape) if v is None]
        if missing and needs_static:
            raise ConversionError(
                f"input '{spec.name}' has dynamic dimension(s) {missing} ({_fmt(spec.shape)}) in a model with "
                "RNN/loop structure: pass --seq-len N or --input-shapes")
        fixed.append(InputSpec(spec.name, shape, spec.dtype))
    return fixed, fixes


def _fmt(shape: list[int | None]) -> str:
    return "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"


def _tf_keras_layer(layer: Any) -> Any:
    import tf_keras

    cls_name = type(layer).__name__
    if cls_name == "Bidirectional":
        return tf_keras.layers.Bidirectional(
            _tf_keras_layer(layer.forward_layer), backward_layer=_tf_keras_layer(layer.backward_layer),
            merge_mode=layer.merge_mode, name=layer.name)
    if cls_name == "TimeDistributed":
        return tf_keras.layers.TimeDistributed(_tf_keras_layer(layer.layer), name=layer.name)
    cls = getattr(tf_keras.layers, cls_name)
    accepted = set(inspect.signature(cls.__init__).parameters) | {"name", "trainable", "dtype"}
    config = {}
    for key, value in layer.get_config().items():
        if key.endswith(_SKIP_SUFFIXES) or key not in accepted:
            continue
        if key == "dtype" and isinstance(value, dict):
            value = value.get("config", {}).get("name", "float32")
        config[key] = value
    return cls(**config)


def _copy_weights(src: Any, dst: Any) -> None:
    name = type(src).__name__
    if name == "Bidirectional":
        _copy_weights(src.forward_layer, dst.forward_layer)
        _copy_weights(src.backward_layer, dst.backward_layer)
    elif name == "TimeDistributed":
        _copy_weights(src.layer, dst.layer)
    elif src.get_weights():
        dst.set_weights(src.get_weights())


def rebuild_as_tf_keras(model: Any, inputs: list[InputSpec]) -> Any:
    """The same network as tf_keras (Keras 2) layers at fixed shapes, sharing the Keras 3 model's weights."""
    import tf_keras

    model = getattr(model, "_functional", None) or model  # a built Sequential keeps a functional twin
    unsupported = sorted({type(op).__name__ for op in model.operations} - _REBUILDABLE)
    if unsupported:
        raise ConversionError(f"--rnn fused cannot rebuild layer type(s) {', '.join(unsupported)} as Keras 2 "
                              "layers; use --rnn loop")
    if not hasattr(model, "_run_through_graph"):
        raise ConversionError("--rnn fused needs a functional or Sequential Keras model; use --rnn loop")
    tk_inputs = [tf_keras.Input(batch_shape=tuple(s.shape), dtype=s.dtype, name=s.name) for s in inputs]
    mapping = {id(op): _tf_keras_layer(op) for op in model.operations if type(op).__name__ != "InputLayer"}
    outputs = model._run_through_graph(tk_inputs if len(tk_inputs) > 1 else tk_inputs[0],
                                       operation_fn=lambda op: mapping[id(op)])
    rebuilt = tf_keras.Model(tk_inputs, outputs)
    for op in model.operations:
        if id(op) in mapping:
            _copy_weights(op, mapping[id(op)])
    return rebuilt
