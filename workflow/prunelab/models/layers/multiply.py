"""Keras's Multiply: the element-wise product of its inputs, a 1x1 image broadcast over the other's
height and width (a squeeze-and-excitation gate scaling each channel of a map). The gate's
channels are the map's: it joins their channel spaces, as Add does; but a removed channel is
zero in the product if it is zero in any input, so a gate that is not zero there (a sigmoid's)
does not keep the group whole."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


def _reduced(gradient: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of an input of ``shape`` broadcast to the gradient's shape: summed over the
    axes it was broadcast along."""
    axes = tuple(axis for axis, (size, full) in enumerate(zip(shape, gradient.shape)) if size == 1 and full != 1)
    return gradient.sum(axis=axes, keepdims=True) if axes else gradient


class Multiply(LayerType):
    name = "Multiply"
    description = "element-wise product of its inputs (a squeeze-and-excitation gate: a 1x1 image times a map)"
    reads = None
    channel_rule = "gates"

    def problem(self, node, *input_shapes):
        ranks, channels = {len(shape) for shape in input_shapes}, {shape[-1] for shape in input_shapes}
        broadcast = all(len({size for size in sizes if size != 1}) <= 1 for sizes in zip(*input_shapes))
        if len(ranks) != 1 or len(channels) != 1 or not broadcast:
            return (f"inputs of shapes {', '.join(map(str, input_shapes))}: only inputs of one rank and one channel "
                    "count, a 1x1 image broadcast over a map's height and width, are supported")
        return ""

    def shape(self, node, *input_shapes):
        return tuple(np.broadcast_shapes(*input_shapes))

    def forward(self, node, weights, values):
        out = values[0]
        for other in values[1:]:
            out = out * other
        return out

    def backward(self, node, weights, values, output, upstream):
        gradients = []
        for index, value in enumerate(values):
            others = upstream
            for position, other in enumerate(values):
                if position != index:
                    others = others * other
            gradients.append(_reduced(others, value.shape))
        return gradients, None

    def onnx(self, node, weights, sources, onnx):
        out = sources[0]
        for index, other in enumerate(sources[1:]):
            out = onnx.add("Mul", [out, other], node.name if index == len(sources) - 2 else f"{node.name}/{index}")
        return out


LAYER_TYPES = (Multiply(),)
