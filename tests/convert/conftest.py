"""One TensorFlow worker converts every test model; results are cached under $EDGETK_CACHE/test-models/.

The cache key hashes the checkout's path, the fixture models, the job list and edgetk's conversion code, so a
code change re-converts and an unchanged tree reuses the .tflite files and reports. The path is in the key
because the reports hold absolute paths (the fixture source, file:line of errors) and several worktrees
share one cache: a report converted in another checkout would fail this checkout's path assertions.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = HERE / "fixture_models.py"

# (job name, fixture function, options) — both RNN forms for the plain LSTM, fused for the others.
JOBS = [
    ("lstm_loop", "lstm", {"rnn": "loop"}),
    ("lstm_fused", "lstm", {"rnn": "fused"}),
    ("gru", "gru", {"rnn": "fused"}),
    ("bilstm_fused", "bilstm", {"rnn": "fused"}),
    ("stacked_fused", "stacked_lstm", {"rnn": "fused"}),
    ("text_fused", "text_lstm", {"rnn": "fused"}),
    ("text_loop", "text_lstm", {"rnn": "loop"}),
    ("while_loop", "while_loop", {}),
    ("cond", "cond", {}),
    ("seq2seq", "seq2seq_greedy", {"targets": ["cortex-m4"]}),  # TFLM hangs: evidence beats the prediction
    ("lstm_fused_int8", "lstm", {"rnn": "fused", "quantize": "int8", "integer_io": True}),
    ("lstm_loop_int8", "lstm", {"rnn": "loop", "quantize": "int8", "integer_io": True}),  # last: it crashes TF
]


def _key() -> str:
    digest = hashlib.sha256(str(REPO).encode())
    digest.update(FIXTURES.read_bytes())
    digest.update(json.dumps(JOBS).encode())
    for path in sorted((REPO / "toolkit" / "convert").glob("*.py")):
        if not path.name.startswith("legacy"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def converted() -> dict[str, dict]:
    """job name → report JSON (or {"error": message}); .tflite files live next to the cached reports."""
    from toolkit.convert import ConvertOptions
    from toolkit.convert.api import convert_many
    from toolkit.paths import cache_dir

    out_dir = cache_dir() / "test-models" / _key()
    index = out_dir / "reports.json"
    if index.exists():
        return json.loads(index.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    items = [(f"{FIXTURES}:{fn}", out_dir / f"{name}.tflite",
              ConvertOptions(**{**opts, "targets": tuple(opts.get("targets", ()))})) for name, fn, opts in JOBS]
    os.environ["EDGETK_NUMCHECK_TIMEOUT"] = "15"  # TFLM hangs on the seq2seq WHILE loop: do not wait long
    try:
        results = convert_many(items, check_runtimes=("litert", "tflite-runtime", "tflm"))
    finally:
        os.environ.pop("EDGETK_NUMCHECK_TIMEOUT", None)
    reports = {name: (r.to_json() if hasattr(r, "to_json") and not isinstance(r, Exception) else {"error": str(r)})
               for (name, _, _), r in zip(JOBS, results, strict=True)}
    index.write_text(json.dumps(reports, indent=1))
    return reports
