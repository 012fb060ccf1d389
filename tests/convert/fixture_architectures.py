"""Transformer and detection architectures rebuilt small from their published descriptions (random weights).

Nobody here wrote these models' designs; the shapes of their graphs are what matters to the converter:
- BERT (Devlin et al. 2018): word + position + token-type embeddings, LayerNorm, post-LN encoder blocks with
  a padding attention mask, GELU feed-forward, [CLS] pooler (tanh) and a classifier. Inputs input_ids,
  token_type_ids (0/1), attention_mask (0/1), as Hugging Face names them.
- MobileBERT (Sun et al. 2020): a bottleneck block — input/output linear bottlenecks around the attention,
  stacked feed-forward networks, NoNorm (element-wise scale + shift instead of LayerNorm), ReLU.
- ViT (Dosovitskiy et al. 2020): non-overlapping patches by a strided conv, a class token, learned position
  embeddings, pre-LN encoder block, classification from the class token.
- GPT-2 (Radford et al. 2019): token + position embeddings, pre-LN causal self-attention block, tanh-GELU MLP,
  final LayerNorm and tied-vocabulary logits. Given as a module-level tf.function (a tf.function source).
- SSD (Liu et al. 2016): multi-scale conv feature maps with per-anchor box and class heads, box decoding
  against anchors, then non-max suppression — NMS v4 (padded) and v5 (with scores) — as a tf.Module with
  one tf.function per NMS version (a tf.Module source, chosen with --signature).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

VOCAB, SEQ, HIDDEN, HEADS = 64, 16, 32, 2


def _embeddings(ids: keras.KerasTensor, token_types: keras.KerasTensor | None, width: int) -> keras.KerasTensor:
    x = keras.layers.Embedding(VOCAB, width, name="word_embeddings")(ids)
    positions = keras.layers.Embedding(SEQ, width, name="position_embeddings")(keras.ops.arange(SEQ)[None, :])
    x = x + positions
    if token_types is not None:
        x = x + keras.layers.Embedding(2, width, name="token_type_embeddings")(token_types)
    return x


def _mask(attention_mask: keras.KerasTensor) -> keras.KerasTensor:
    """[batch, seq] 0/1 padding mask -> [batch, 1, seq] boolean attention mask (keys only)."""
    return keras.ops.cast(attention_mask[:, None, :], "bool")


def bert_encoder(layers: int = 2) -> keras.Model:
    keras.utils.set_random_seed(1)
    ids = keras.Input((SEQ,), dtype="int32", name="input_ids")
    types = keras.Input((SEQ,), dtype="int32", name="token_type_ids")
    mask = keras.Input((SEQ,), dtype="int32", name="attention_mask")
    x = keras.layers.LayerNormalization(epsilon=1e-12)(_embeddings(ids, types, HIDDEN))
    for i in range(layers):
        att = keras.layers.MultiHeadAttention(HEADS, HIDDEN // HEADS, name=f"attention_{i}")(
            x, x, attention_mask=_mask(mask))
        x = keras.layers.LayerNormalization(epsilon=1e-12)(x + att)
        ff = keras.layers.Dense(4 * HIDDEN, activation=lambda t: keras.activations.gelu(t, approximate=True))(x)
        x = keras.layers.LayerNormalization(epsilon=1e-12)(x + keras.layers.Dense(HIDDEN)(ff))
    pooled = keras.layers.Dense(HIDDEN, activation="tanh", name="pooler")(x[:, 0])
    logits = keras.layers.Dense(3, name="logits")(pooled)
    return keras.Model([ids, types, mask], logits, name="bert_like")


class NoNorm(keras.layers.Layer):
    """MobileBERT's NoNorm: x * gamma + beta, element-wise."""

    def build(self, shape: tuple[int, ...]) -> None:
        self.gamma = self.add_weight(shape=(shape[-1],), initializer="random_normal")
        self.beta = self.add_weight(shape=(shape[-1],), initializer="random_normal")

    def call(self, x: keras.KerasTensor) -> keras.KerasTensor:
        return x * (1.0 + self.gamma) + self.beta


def mobilebert_block(bottleneck: int = 16, ffn_stack: int = 2) -> keras.Model:
    keras.utils.set_random_seed(2)
    ids = keras.Input((SEQ,), dtype="int32", name="input_ids")
    types = keras.Input((SEQ,), dtype="int32", name="token_type_ids")
    mask = keras.Input((SEQ,), dtype="int32", name="attention_mask")
    x = NoNorm()(_embeddings(ids, types, HIDDEN))
    inner = NoNorm()(keras.layers.Dense(bottleneck, name="bottleneck_in")(x))
    att = keras.layers.MultiHeadAttention(HEADS, bottleneck // HEADS)(inner, inner, attention_mask=_mask(mask))
    h = NoNorm()(inner + att)
    for i in range(ffn_stack):
        ff = keras.layers.Dense(4 * bottleneck, activation="relu", name=f"ffn_{i}_up")(h)
        h = NoNorm()(h + keras.layers.Dense(bottleneck, name=f"ffn_{i}_down")(ff))
    x = NoNorm()(x + keras.layers.Dense(HIDDEN, name="bottleneck_out")(h))
    logits = keras.layers.Dense(2, name="logits")(x[:, 0])
    return keras.Model([ids, types, mask], logits, name="mobilebert_like")


def vit_patch_encoder(image: int = 32, patch: int = 8, width: int = HIDDEN) -> keras.Model:
    keras.utils.set_random_seed(3)
    pixels = keras.Input((image, image, 3), name="pixel_values")
    patches = keras.layers.Conv2D(width, patch, strides=patch, name="patch_embedding")(pixels)
    count = (image // patch) ** 2
    tokens = keras.layers.Reshape((count, width))(patches)
    cls = ClassToken(name="class_token")(tokens)
    x = keras.layers.Concatenate(axis=1)([cls, tokens])
    x = x + keras.layers.Embedding(count + 1, width, name="position_embedding")(keras.ops.arange(count + 1)[None, :])
    y = keras.layers.LayerNormalization(epsilon=1e-6)(x)
    x = x + keras.layers.MultiHeadAttention(HEADS, width // HEADS)(y, y)
    y = keras.layers.LayerNormalization(epsilon=1e-6)(x)
    y = keras.layers.Dense(2 * width, activation=lambda t: keras.activations.gelu(t, approximate=True))(y)
    x = x + keras.layers.Dense(width)(y)
    logits = keras.layers.Dense(5, name="logits")(keras.layers.LayerNormalization(epsilon=1e-6)(x)[:, 0])
    return keras.Model(pixels, logits, name="vit_like")


class ClassToken(keras.layers.Layer):
    """ViT's learned [class] token, repeated over the batch."""

    def build(self, shape: tuple[int, ...]) -> None:
        self.token = self.add_weight(shape=(1, 1, shape[-1]), initializer="random_normal")

    def call(self, tokens: keras.KerasTensor) -> keras.KerasTensor:
        return keras.ops.tile(self.token, [keras.ops.shape(tokens)[0], 1, 1])


def _gpt2_weights() -> dict[str, tf.Variable]:
    rng = np.random.default_rng(4)

    def w(*shape: int, scale: float = 0.2) -> tf.Variable:
        return tf.Variable(rng.normal(scale=scale, size=shape).astype("float32"))

    return {"wte": w(VOCAB, HIDDEN), "wpe": w(SEQ, HIDDEN), "qkv": w(HIDDEN, 3 * HIDDEN), "proj": w(HIDDEN, HIDDEN),
            "fc": w(HIDDEN, 4 * HIDDEN), "fc_out": w(4 * HIDDEN, HIDDEN), "ln1": w(HIDDEN), "ln2": w(HIDDEN),
            "lnf": w(HIDDEN)}


GPT2 = _gpt2_weights()


def _layer_norm(x: tf.Tensor, gain: tf.Variable) -> tf.Tensor:
    mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - mean) * tf.math.rsqrt(var + 1e-5) * (1.0 + gain)


@tf.function(input_signature=[tf.TensorSpec([1, SEQ], tf.int32, name="input_ids")])
def gpt2_block(input_ids: tf.Tensor) -> dict[str, tf.Tensor]:
    head = HIDDEN // HEADS
    x = tf.gather(GPT2["wte"], input_ids) + GPT2["wpe"][None]
    h = _layer_norm(x, GPT2["ln1"])
    q, k, v = tf.split(tf.einsum("bsh,hk->bsk", h, GPT2["qkv"]), 3, axis=-1)

    def heads(t: tf.Tensor) -> tf.Tensor:
        return tf.transpose(tf.reshape(t, [1, SEQ, HEADS, head]), [0, 2, 1, 3])

    scores = tf.matmul(heads(q), heads(k), transpose_b=True) / float(np.sqrt(head))
    causal = tf.constant(np.tril(np.ones((SEQ, SEQ), "float32")))
    scores = scores * causal - 1e4 * (1.0 - causal)
    att = tf.reshape(tf.transpose(tf.matmul(tf.nn.softmax(scores), heads(v)), [0, 2, 1, 3]), [1, SEQ, HIDDEN])
    x = x + tf.einsum("bsh,hk->bsk", att, GPT2["proj"])
    h = _layer_norm(x, GPT2["ln2"])
    x = x + tf.einsum("bsf,fh->bsh", tf.nn.gelu(tf.einsum("bsh,hf->bsf", h, GPT2["fc"]), approximate=True),
                      GPT2["fc_out"])
    logits = tf.einsum("bsh,vh->bsv", _layer_norm(x, GPT2["lnf"]), GPT2["wte"])
    return {"logits": logits}


class SsdHead(tf.Module):
    """A two-scale SSD head over a tiny conv backbone; boxes decoded against anchors, then NMS."""

    CLASSES, MAX_DETECTIONS = 3, 5

    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(5)
        self.convs = [tf.Variable(rng.normal(scale=0.3, size=s).astype("float32"))
                      for s in ((3, 3, 3, 8), (3, 3, 8, 16))]
        anchors_per_cell = 2
        self.box_heads = [tf.Variable(rng.normal(scale=0.1, size=(3, 3, c, anchors_per_cell * 4)).astype("float32"))
                          for c in (8, 16)]
        self.cls_heads = [tf.Variable(rng.normal(scale=0.5, size=(3, 3, c, anchors_per_cell * self.CLASSES))
                                      .astype("float32")) for c in (8, 16)]
        self.anchors = tf.constant(self._anchors(((8, 8), (4, 4)), anchors_per_cell))

    @staticmethod
    def _anchors(grids: tuple[tuple[int, int], ...], per_cell: int) -> np.ndarray:
        boxes = []
        for (rows, cols), size in zip(grids, (0.2, 0.4), strict=True):
            for r in range(rows):
                for c in range(cols):
                    for k in range(per_cell):
                        cy, cx, s = (r + 0.5) / rows, (c + 0.5) / cols, size * (1 + k)
                        boxes.append([cy - s / 2, cx - s / 2, cy + s / 2, cx + s / 2])
        return np.array(boxes, "float32")

    def _boxes_scores(self, image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        feats, x = [], image
        for kernel in self.convs:
            x = tf.nn.relu(tf.nn.conv2d(x, kernel, strides=2, padding="SAME"))
            feats.append(x)
        deltas = tf.concat([tf.reshape(tf.nn.conv2d(f, h, 1, "SAME"), [-1, 4])
                            for f, h in zip(feats, self.box_heads, strict=True)], axis=0)
        logits = tf.concat([tf.reshape(tf.nn.conv2d(f, h, 1, "SAME"), [-1, self.CLASSES])
                            for f, h in zip(feats, self.cls_heads, strict=True)], axis=0)
        boxes = self.anchors + 0.1 * deltas
        scores = tf.reduce_max(tf.nn.softmax(logits), axis=-1)
        return boxes, scores

    @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32, name="image")])
    def detect_v4(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        boxes, scores = self._boxes_scores(image)
        selected, valid = tf.raw_ops.NonMaxSuppressionV4(
            boxes=boxes, scores=scores, max_output_size=self.MAX_DETECTIONS, iou_threshold=0.5,
            score_threshold=0.0, pad_to_max_output_size=True)
        return {"boxes": tf.gather(boxes, selected), "num_detections": valid}

    @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32, name="image")])
    def detect_v5(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        boxes, scores = self._boxes_scores(image)
        selected, selected_scores, valid = tf.raw_ops.NonMaxSuppressionV5(
            boxes=boxes, scores=scores, max_output_size=self.MAX_DETECTIONS, iou_threshold=0.5,
            score_threshold=0.0, soft_nms_sigma=0.0, pad_to_max_output_size=True)
        return {"boxes": tf.gather(boxes, selected), "scores": selected_scores, "num_detections": valid}


ssd_head = SsdHead()


def gpt2_concrete() -> tf.types.experimental.ConcreteFunction:
    """A builder returning a ConcreteFunction (the GPT-2 block traced at its signature)."""
    return gpt2_block.get_concrete_function()


@tf.function
def scaled_softmax(logits: tf.Tensor) -> tf.Tensor:
    """A tf.function without input_signature: shapes come from --input-shape."""
    return tf.nn.softmax(2.0 * logits)


@tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
def stack_trace_example(x: tf.Tensor) -> tf.Tensor:
    """The announcement's error-tracking example shape: an op TFLite lacks (igamma; reciprocal became DIV)."""
    y = tf.abs(x) + 1.0
    return tf.math.igamma(y, x * x)


def _classifier_head() -> keras.Model:
    keras.utils.set_random_seed(6)
    features = keras.Input((6,), name="features")
    return keras.Model(features, keras.layers.Dense(2, activation="softmax", name="scores")(features))


classifier_head = _classifier_head()  # a Keras model instance (not a builder): file.py:classifier_head
