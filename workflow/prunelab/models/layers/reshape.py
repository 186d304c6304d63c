"""Keras's Reshape where each channel stays a channel: the last axis kept, only the positions
regrouped (an image's pixels into a sequence of patches or tokens, and back), or between C
features and a 1x1 image of C channels, either way (a squeeze-and-excitation block's). Channel c
stays channel c; any other reshape is refused: it would move channels to other positions."""

from __future__ import annotations

import math

from .layer_type import LayerType


def target_shape(node, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The layer's output shape, its -1 (if any) worked out from the input's size."""
    target = [int(size) for size in node.config["target_shape"]]
    if -1 in target:
        known = math.prod(size for size in target if size != -1)
        target[target.index(-1)] = math.prod(input_shape) // known if known else 0
    return tuple(target)


class Reshape(LayerType):
    name = "Reshape"
    description = "reshape that keeps the last axis (positions regrouped, channels kept), e.g. an image to tokens"

    def problem(self, node, input_shape):
        target, shape = target_shape(node, input_shape), tuple(input_shape)
        if not shape or target[-1] != shape[-1] or math.prod(target) != math.prod(shape):
            return (f"target_shape {tuple(node.config['target_shape'])} from {shape}: only a reshape that keeps "
                    "the last axis (the channels) is supported")
        return ""

    def shape(self, node, input_shape):
        return target_shape(node, input_shape)

    def forward(self, node, weights, values):
        x = values[0]
        return x.reshape(len(x), *target_shape(node, x.shape[1:])[:-1], x.shape[-1])

    def backward(self, node, weights, values, output, upstream):
        return [upstream.reshape(values[0].shape)], None

    def onnx(self, node, weights, sources, onnx):
        """Images are NCHW in the ONNX graph: one is made channels-last before the reshape, and an
        image made is transposed back; the channels' count is inferred (a compacted model's)."""
        source, target = sources[0], list(onnx.shapes[node.name])
        if len(onnx.shapes[node.inputs[0]]) == 3:
            source = onnx.add("Transpose", [source], f"{node.name}/nhwc", perm=[0, 2, 3, 1])
        image = len(target) == 3
        out = onnx.add("Reshape", [source, onnx.integers(f"{node.name}/shape", [0, *target[:-1], -1])],
                       f"{node.name}/reshaped" if image else node.name)
        return onnx.add("Transpose", [out], node.name, perm=[0, 3, 1, 2]) if image else out

    def keras_config(self, config: dict, arrays: dict) -> dict:
        """Its channels' count is inferred (-1): a compacted model's is its kernels', not the saved
        config's (unless the config infers a position count instead: Keras infers one size at most)."""
        positions = list(config["target_shape"][:-1])
        return config if -1 in positions else {**config, "target_shape": [*positions, -1]}


LAYER_TYPES = (Reshape(),)
