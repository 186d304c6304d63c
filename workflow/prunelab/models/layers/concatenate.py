"""Keras's Concatenate on the channel axis (DenseNet's dense blocks): each input's channels keep
their groups, at their offset in the output, so a layer reading the concatenation holds several
groups' channels, each from its own offset (:class:`prunelab.models.dependency.Group`)."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


class Concatenate(LayerType):
    name = "Concatenate"
    description = "concatenation of two or more inputs on the channel axis (DenseNet's blocks)"
    reads = None
    channel_rule = "concatenates"

    def problem(self, node, *input_shapes):
        rank = len(input_shapes[0])
        if node.config.get("axis", -1) not in (-1, rank):
            return f"axis {node.config.get('axis')}; only the channel axis (-1) is supported"
        if any(shape[:-1] != input_shapes[0][:-1] for shape in input_shapes):
            return f"inputs of shapes {', '.join(map(str, input_shapes))} differ beyond their channels"
        return ""

    def shape(self, node, *input_shapes):
        return *input_shapes[0][:-1], sum(shape[-1] for shape in input_shapes)

    def forward(self, node, weights, values):
        return np.concatenate(values, axis=-1)

    def backward(self, node, weights, values, output, upstream):
        ends = np.cumsum([value.shape[-1] for value in values])[:-1]
        return np.split(upstream, ends, axis=-1), None

    def onnx(self, node, weights, sources, onnx):
        return onnx.add("Concat", sources, node.name, axis=1)  # channels: NCHW's axis 1, or (N, C)'s


LAYER_TYPES = (Concatenate(),)
