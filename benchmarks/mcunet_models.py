"""MCUNet's ImageNet models (Lin et al., NeurIPS 2020), rebuilt in Keras from their published net configs.

Each config is mit-han-lab/tinyml ``mcunet/assets/configs/<net_name>.json`` (commit e899b1b), the file
mit-han-lab/mcunet's model zoo loads for these net ids: a first 3x3 stride-2 conv, then ProxylessNAS
inverted-residual blocks (1x1 expand to ``cin * expand_ratio`` unless the ratio is 1, k x k depthwise,
1x1 project, identity shortcut where stride 1 and cin == cout), global average pool and a 1000-way dense.
All activations are ReLU6. The rebuilt MACs are the model zoo's: 6.4 M / 12.8 M / 67.3 M / 81.8 M.
Random weights: latency does not depend on their values. Used only to score the MCU estimate against
TinyEngine's published TFLM / CMSIS-NN latencies on an STM32H743 (benchmarks/mcu_published.py).
"""

from __future__ import annotations

# net id -> (input resolution, first conv channels, [(cin, cout, kernel, stride, expand_ratio), ...])
MCUNET_CONFIGS: dict[str, tuple[int, int, tuple[tuple[int, int, int, int, int], ...]]] = {
    "mcunet-in0": (48, 24, (  # mcunet-10fps_imagenet.json
        (24, 16, 3, 1, 1), (16, 16, 5, 2, 4), (16, 16, 3, 1, 3), (16, 16, 3, 1, 4), (16, 24, 7, 2, 5),
        (24, 24, 5, 1, 4), (24, 24, 5, 1, 5), (24, 48, 7, 2, 5), (48, 48, 5, 1, 4), (48, 56, 3, 1, 5),
        (56, 56, 5, 1, 4), (56, 56, 3, 1, 5), (56, 112, 3, 2, 6), (112, 112, 5, 1, 4), (112, 192, 3, 1, 6))),
    "mcunet-in1": (96, 16, (  # mcunet-5fps_imagenet.json
        (16, 8, 3, 1, 1), (8, 16, 3, 2, 4), (16, 16, 3, 1, 3), (16, 24, 7, 2, 3), (24, 24, 3, 1, 5),
        (24, 40, 3, 2, 5), (40, 40, 7, 1, 4), (40, 48, 5, 1, 4), (48, 48, 3, 1, 3), (48, 48, 3, 1, 4),
        (48, 96, 7, 2, 5), (96, 96, 5, 1, 4), (96, 96, 5, 1, 4), (96, 160, 3, 1, 6))),
    "mcunet-in2": (160, 16, (  # mcunet-256kb-1mb_imagenet.json
        (16, 8, 3, 1, 1), (8, 16, 5, 2, 3), (16, 16, 7, 1, 6), (16, 16, 3, 1, 5), (16, 16, 5, 1, 5),
        (16, 24, 3, 2, 5), (24, 24, 7, 1, 6), (24, 24, 5, 1, 6), (24, 40, 7, 2, 4), (40, 40, 5, 1, 5),
        (40, 48, 3, 1, 5), (48, 48, 5, 1, 5), (48, 48, 3, 1, 4), (48, 96, 5, 2, 6), (96, 96, 5, 1, 4),
        (96, 96, 5, 1, 3), (96, 96, 3, 1, 4), (96, 160, 5, 1, 5))),
    "mcunet-in3": (176, 16, (  # mcunet-320kb-1mb_imagenet.json
        (16, 8, 3, 1, 1), (8, 16, 7, 2, 3), (16, 16, 3, 1, 5), (16, 16, 7, 1, 5), (16, 16, 5, 1, 4),
        (16, 24, 5, 2, 5), (24, 24, 5, 1, 5), (24, 24, 5, 1, 5), (24, 40, 3, 2, 5), (40, 40, 7, 1, 6),
        (40, 40, 5, 1, 4), (40, 48, 5, 1, 5), (48, 48, 7, 1, 5), (48, 48, 3, 1, 5), (48, 96, 3, 2, 6),
        (96, 96, 7, 1, 5), (96, 96, 3, 1, 4), (96, 160, 7, 1, 5))),
}  # fmt: skip


def mcunet_macs(name: str) -> int:
    """Multiply-accumulates of one inference, from the config alone (padding "same": ceil(h / stride))."""
    resolution, first, blocks = MCUNET_CONFIGS[name]
    h = -(-resolution // 2)
    macs = h * h * 3 * 9 * first
    for cin, cout, k, stride, expand in blocks:
        mid = cin * expand
        macs += h * h * cin * mid if expand != 1 else 0
        h = -(-h // stride)
        macs += h * h * mid * (k * k + cout)
    return macs + blocks[-1][1] * 1000


def build_mcunet(keras, name: str):
    """The Keras model of ``name`` (child process only: imports nothing itself)."""
    layers = keras.layers
    resolution, first, blocks = MCUNET_CONFIGS[name]

    def bn_relu6(x, act=True):
        x = layers.BatchNormalization()(x)
        return layers.ReLU(6.0)(x) if act else x

    inp = keras.Input((resolution, resolution, 3), batch_size=1)
    x = bn_relu6(layers.Conv2D(first, 3, strides=2, padding="same", use_bias=False)(inp))
    for cin, cout, k, stride, expand in blocks:
        y = bn_relu6(layers.Conv2D(cin * expand, 1, use_bias=False)(x)) if expand != 1 else x
        y = bn_relu6(layers.DepthwiseConv2D(k, strides=stride, padding="same", use_bias=False)(y))
        y = bn_relu6(layers.Conv2D(cout, 1, use_bias=False)(y), act=False)
        x = layers.Add()([x, y]) if stride == 1 and cin == cout else y
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(1000)(x))
