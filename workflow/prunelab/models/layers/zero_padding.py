"""Keras's ZeroPadding2D: zero rows and columns around an image (keras.applications' ResNet50 pads
before its strided convolutions)."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


def zero_padding(node) -> tuple[tuple[int, int], tuple[int, int]]:
    """A ZeroPadding2D's ((top, bottom), (left, right)) from its config's padding: one int for
    every side, a (rows, columns) pair, or the pairs themselves (what Keras saves)."""
    padding = node.config.get("padding", 1)
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    return tuple((side, side) if isinstance(side, int) else (int(side[0]), int(side[1])) for side in padding)


class ZeroPadding2D(LayerType):
    name = "ZeroPadding2D"
    description = "zero rows and columns around an image (keras.applications' ResNet50 pads before its strided convs)"
    images = True

    def shape(self, node, input_shape):
        (top, bottom), (left, right) = zero_padding(node)
        return input_shape[0] + top + bottom, input_shape[1] + left + right, input_shape[2]

    def forward(self, node, weights, values):
        return np.pad(values[0], ((0, 0), *zero_padding(node), (0, 0)))

    def backward(self, node, weights, values, output, upstream):
        (top, _), (left, _) = zero_padding(node)
        x = values[0]
        return [upstream[:, top:top + x.shape[1], left:left + x.shape[2]]], None

    def onnx(self, node, weights, sources, onnx):
        (top, bottom), (left, right) = zero_padding(node)  # NCHW: the begin of each axis, then each end
        return onnx.add("Pad", [sources[0], onnx.integers(f"{node.name}/pads", [0, 0, top, left, 0, 0, bottom, right])],
                        node.name)


LAYER_TYPES = (ZeroPadding2D(),)
