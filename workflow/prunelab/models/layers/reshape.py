"""Keras's Reshape where each channel stays a channel: the last axis kept, only the positions
regrouped (an image's pixels into a sequence of patches or tokens, and back), or between C
features and a 1x1 image of C channels, either way (a squeeze-and-excitation block's); or the
last axes merged into one, as a Flatten of those axes (a patch of p x p pixels of C channels into
p·p·C features: channel c at features c, c + C, ...). Any other reshape is refused: it would move
channels to other positions."""

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


def merged_axes(node, input_shape: tuple[int, ...]) -> int | None:
    """How many of the input's last axes the output's last axis holds (1: the last axis kept), or
    None where the reshape does not keep the positions before them apart from the channels."""
    target, shape = target_shape(node, input_shape), tuple(input_shape)
    if not shape or math.prod(target) != math.prod(shape):
        return None
    return next((count for count in range(1, len(shape) + 1) if math.prod(shape[-count:]) == target[-1]), None)


class Reshape(LayerType):
    name = "Reshape"
    description = ("reshape that keeps the last axis (positions regrouped, channels kept) or merges the last axes "
                   "into one (a patch's pixels and channels into features)")
    channel_rule = "flattens"

    def problem(self, node, input_shape):
        if merged_axes(node, input_shape) is None:
            return (f"target_shape {tuple(node.config['target_shape'])} from {tuple(input_shape)}: only a reshape "
                    "that keeps the last axis (the channels) or merges the last axes into it is supported")
        return ""

    def spread(self, node, input_shape):
        """Positions of the input that each channel is spread over in one output vector: those of
        the merged axes (1 where the last axis is kept)."""
        return math.prod(input_shape[len(input_shape) - merged_axes(node, input_shape):-1])

    def shape(self, node, input_shape):
        return target_shape(node, input_shape)

    def forward(self, node, weights, values):
        """The positions as the config says; the last axis inferred (a compacted model's channels
        are fewer than its config's)."""
        x = values[0]
        return x.reshape(len(x), *target_shape(node, x.shape[1:])[:-1], -1)

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
