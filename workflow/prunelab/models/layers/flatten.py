"""Keras's Flatten (channels last): channel c of an image spreads over positions c, c + C,
c + 2C, ... of the flat vector."""

from __future__ import annotations

import math

from .layer_type import LayerType


class Flatten(LayerType):
    name = "Flatten"
    description = "flattening (channels last)"
    channel_rule = "flattens"

    def spread(self, node, input_shape):
        """Each channel is spread over every position of the input."""
        return math.prod(input_shape[:-1])

    def shape(self, node, input_shape):
        return (math.prod(input_shape),)

    def forward(self, node, weights, values):
        return values[0].reshape(len(values[0]), -1)

    def backward(self, node, weights, values, output, upstream):
        return [upstream.reshape(values[0].shape)], None

    def onnx(self, node, weights, sources, onnx):
        source = sources[0]
        if len(onnx.shapes[node.inputs[0]]) == 3:  # back to NHWC first: Keras's flattened order
            source = onnx.add("Transpose", [source], f"{node.name}/nhwc", perm=[0, 2, 3, 1])
        return onnx.add("Flatten", [source], node.name, axis=1)


LAYER_TYPES = (Flatten(),)
