"""The legacy (TOCO) worker resolves file.py:NAME the way edgetk's front-end does (issue 13).

The worker runs inside the TF 2.17 environment, which this machine may not have; its source resolution is
plain TensorFlow API that TF 2.21 has too, so it runs here in a child with the main TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARCH = HERE / "fixture_architectures.py"
PROBE = f"""
import json, sys
sys.path.insert(0, {str(REPO / "toolkit" / "convert")!r})
import legacy_worker as w
out = {{}}
for name, sig in (("bert_encoder", None), ("gpt2_block", None), ("gpt2_concrete", None), ("ssd_head", "detect_v5")):
    obj = w._load_function_source({str(ARCH)!r} + ":" + name, sig)
    out[name] = type(obj).__name__ + ":" + str(getattr(obj, "name", getattr(obj, "__name__", "")))
try:
    w._load_function_source({str(ARCH)!r} + ":ssd_head")
except ValueError as exc:
    out["ssd_head_without_signature"] = str(exc)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_legacy_worker_takes_models_functions_concrete_functions_and_modules() -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["bert_encoder"].startswith("Functional:")  # a builder: called, its Keras model used
    assert "Function" in out["gpt2_block"]  # a module-level tf.function: used as it is, not called
    assert "ConcreteFunction" in out["gpt2_concrete"]
    assert "detect_v5" in out["ssd_head"]  # the tf.Module method --signature names
    assert "detect_v4" in out["ssd_head_without_signature"] and "--signature" in out["ssd_head_without_signature"]
