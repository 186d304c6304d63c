"""Keras's Permute where the channels stay last: the positions' axes reordered (a vision
transformer's patches cut from an image by Reshape, Permute and Reshape; an image transposed).
Channel c stays channel c; a permutation that moves the last axis is refused: it would make
positions channels."""

from __future__ import annotations

import numpy as np

from .layer_type import ONNX_IMAGE_AXES, LayerType


def dims(node) -> tuple[int, ...]:
    """Its permutation of the axes after the batch (1-based, as Keras's config gives it)."""
    return tuple(int(axis) for axis in node.config["dims"])


class Permute(LayerType):
    name = "Permute"
    description = "permutation of the axes that keeps the last axis (positions reordered, channels kept)"

    def problem(self, node, input_shape):
        order = dims(node)
        if sorted(order) != list(range(1, len(input_shape) + 1)) or order[-1] != len(input_shape):
            return f"dims {order} on shape {tuple(input_shape)}: only a permutation that keeps the last axis is supported"
        return ""

    def shape(self, node, input_shape):
        return tuple(input_shape[axis - 1] for axis in dims(node))

    def forward(self, node, weights, values):
        return np.transpose(values[0], (0, *dims(node)))

    def backward(self, node, weights, values, output, upstream):
        return [np.transpose(upstream, np.argsort((0, *dims(node))))], None

    def onnx(self, node, weights, sources, onnx):
        """A Transpose; an image's axes as they lie in NCHW."""
        order = dims(node)
        if len(order) == 3:
            image = [ONNX_IMAGE_AXES[axis] for axis in order[:2]]
            return onnx.add("Transpose", sources, node.name, perm=[0, 1, *image])
        return onnx.add("Transpose", sources, node.name, perm=[0, *order])


LAYER_TYPES = (Permute(),)
