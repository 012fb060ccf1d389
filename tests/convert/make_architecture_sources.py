"""Writes the SavedModels and sample files tests/convert/test_architectures.py converts (imports TensorFlow).

Run as a script (`python make_architecture_sources.py OUT_DIR`); the test runs it once in a child and caches
OUT_DIR. Writes:
  bert_export/      Keras 3 ``model.export()`` of fixture_architectures.bert_encoder (dynamic batch; inputs
                    input_ids, token_type_ids, attention_mask; output key output_0)
  bert_module/      tf.Module SavedModel of the same encoder, keyword inputs and a {"logits"} output, written
                    with save_debug_info=True, as a BERT classifier is usually exported
  igamma_module/    tf.Module SavedModel (save_debug_info=True) whose function uses tf.math.igamma (no TFLite op)
  bert_bad_inputs.npz   token_type_ids = 5: out of the 2-row token-type table (TF's own run fails)
  vit_real.npz      8 images in [-1, 1) for the ViT; vit_garbage.npz: 8 images in [-1e-3, 1e-3) (calibration
                    that fits no real input)
"""

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixture_architectures as fa  # noqa: E402

IGAMMA_LINE_MARK = "tf.math.igamma(y, y + 1.0)"


class BertClassifier(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model = fa.bert_encoder()

    @tf.function(input_signature=[tf.TensorSpec([None, fa.SEQ], tf.int32, name=n)
                                  for n in ("input_ids", "token_type_ids", "attention_mask")])
    def classify(self, input_ids, token_type_ids, attention_mask):
        return {"logits": self.model([input_ids, token_type_ids, attention_mask], training=False)}


class IgammaModule(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def __call__(self, x):
        y = tf.abs(x)
        return {"y": tf.math.igamma(y, y + 1.0)}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fa.bert_encoder().export(str(out / "bert_export"), verbose=False)
    debug = tf.saved_model.SaveOptions(save_debug_info=True)
    bert = BertClassifier()
    tf.saved_model.save(bert, str(out / "bert_module"), signatures={"serving_default": bert.classify}, options=debug)
    tf.saved_model.save(IgammaModule(), str(out / "igamma_module"), options=debug)
    rng = np.random.default_rng(9)
    ids = rng.integers(0, fa.VOCAB, size=(2, 1, fa.SEQ)).astype("int32")
    np.savez(out / "bert_bad_inputs.npz", input_ids=ids, token_type_ids=np.full_like(ids, 5),
             attention_mask=np.ones_like(ids))
    np.savez(out / "vit_real.npz", pixel_values=rng.uniform(-1, 1, size=(8, 1, 32, 32, 3)).astype("float32"))
    np.savez(out / "vit_garbage.npz", pixel_values=rng.uniform(-1e-3, 1e-3, size=(8, 1, 32, 32, 3)).astype("float32"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
