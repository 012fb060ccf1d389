"""The models behind issue 12, built from small Keras graphs and converted by `edgetk convert` itself.

Each case is what a new user tries first; check used to say "runs" for every one of them on TFLM targets
while TFLM refused or hung. Built once in ONE converter process (``toolkit.convert.convert_many``) and
cached under ``$EDGETK_CACHE/evidence-cases/v<N>/``. Tests and the agreement benchmark call
``ensure_cases()``. This module itself never imports TensorFlow: the builders below run inside the
converter's child (each is a ``file.py:function`` source).

    python -m benchmarks.evidence_cases     # build everything, print the paths
"""

from __future__ import annotations

import sys
from pathlib import Path

_VERSION = "2"
T, F, UNITS = 6, 3, 4

#: case name -> (builder function in this file or repo-relative file.py:function, convert options as kwargs)
CASES: dict[str, tuple[str, dict]] = {
    "convlstm2d": ("build_convlstm2d", {}),
    "tensorarray_scan": ("build_tensorarray_scan", {}),
    # loop form: with --rnn fused the converter here leaves the fused LSTM's weights float (nothing to test)
    "lstm_dynamic_range": ("build_lstm_wide", {"quantize": "dynamic", "rnn": "loop"}),
    "gru_reset_after": ("build_gru_reset_after", {"rnn": "loop"}),
    "gru_reset_before": ("build_gru_reset_before", {"rnn": "loop"}),
    "custom_rnn_cell": ("build_custom_cell", {"rnn": "loop"}),
    "stacked_bilstm": ("build_stacked_bilstm", {"rnn": "loop"}),
    "lstm_loop": ("build_lstm", {"rnn": "loop"}),
    "lstm_fused": ("build_lstm", {"rnn": "fused"}),
    # the repo's own greedy decoder (TensorArray written in a WHILE): TFLM never returns from invoke
    "greedy_decoder": ("examples/control_flow/model.py:build", {}),
}


def case_dir() -> Path:
    from toolkit.paths import cache_dir

    return cache_dir() / "evidence-cases" / f"v{_VERSION}"


def ensure_cases(*names: str) -> dict[str, Path]:
    """Paths of the requested cases (default: all), converting the missing ones in one TF process."""
    from toolkit.convert.api import convert_many
    from toolkit.convert.options import ConvertOptions

    names = names or tuple(CASES)
    out = case_dir()
    paths = {n: out / f"{n}.tflite" for n in names}
    missing = [n for n in names if not paths[n].exists()]
    if missing:
        out.mkdir(parents=True, exist_ok=True)
        here = Path(__file__).resolve()
        items = [(_source(CASES[n][0], here), out / f".{n}.partial.tflite",
                  ConvertOptions(verify=False, **CASES[n][1])) for n in missing]
        for name, (_src, partial, _opts), report in zip(missing, items, convert_many(items, check_runtimes=()),
                                                       strict=True):
            if isinstance(report, Exception):
                raise RuntimeError(f"evidence case {name} did not convert: {report}")
            partial.replace(paths[name])
    return paths


def _source(builder: str, here: Path) -> str:
    """A builder in this file, or ``path/in/repo.py:function``."""
    return str(here.parent.parent / builder) if ":" in builder else f"{here}:{builder}"


# ------------------------------------------------------------------ builders (converter child only)
def _keras():
    import keras

    keras.utils.set_random_seed(12)
    return keras


def _seq(layers: list) -> object:
    keras = _keras()
    return keras.Sequential([keras.Input((T, F), batch_size=1), *layers])


def build_lstm() -> object:
    keras = _keras()
    return _seq([keras.layers.LSTM(UNITS), keras.layers.Dense(2)])


def build_lstm_wide() -> object:
    """32 units: weight matrices above the 1,024 elements dynamic-range quantization skips."""
    keras = _keras()
    return _seq([keras.layers.LSTM(32), keras.layers.Dense(2)])


def build_gru_reset_after() -> object:
    keras = _keras()
    return _seq([keras.layers.GRU(UNITS, reset_after=True), keras.layers.Dense(2)])


def build_gru_reset_before() -> object:
    keras = _keras()
    return _seq([keras.layers.GRU(UNITS, reset_after=False), keras.layers.Dense(2)])


def build_stacked_bilstm() -> object:
    keras = _keras()
    return _seq([keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True)),
                 keras.layers.Bidirectional(keras.layers.LSTM(UNITS)), keras.layers.Dense(2)])


def build_custom_cell() -> object:
    keras = _keras()

    class MinimalCell(keras.layers.Layer):
        """A user's own RNN cell (h' = tanh(x W + h U)) run by keras.layers.RNN."""

        def __init__(self, units: int, **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.units, self.state_size = units, units

        def build(self, input_shape: tuple) -> None:
            self.w = self.add_weight(shape=(input_shape[-1], self.units))
            self.u = self.add_weight(shape=(self.units, self.units))

        def call(self, x: object, states: list) -> tuple:
            h = keras.ops.tanh(keras.ops.matmul(x, self.w) + keras.ops.matmul(states[0], self.u))
            return h, [h]

    return _seq([keras.layers.RNN(MinimalCell(UNITS)), keras.layers.Dense(2)])


def build_convlstm2d() -> object:
    keras = _keras()
    return keras.Sequential([keras.Input((3, 5, 5, 1), batch_size=1), keras.layers.ConvLSTM2D(2, 3),
                             keras.layers.Flatten(), keras.layers.Dense(2)])


def build_tensorarray_scan() -> object:
    """A fixed-size TensorArray filled in a loop (a cumulative scan): WHILE + TensorList lowering."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, T, F], tf.float32, name="x")])
    def scan(x):
        ta = tf.TensorArray(tf.float32, size=T, element_shape=[1, F])
        acc = tf.zeros([1, F])
        for t in tf.range(T):
            acc = acc * 0.5 + x[:, t, :]
            ta = ta.write(t, acc)
        return ta.stack()

    return scan


if __name__ == "__main__":
    for case, path in ensure_cases(*sys.argv[1:]).items():
        print(f"{case}: {path}")
