"""Keras's Softmax layer over one axis (the features by default). Not zero at zero: a removed
channel would carry a value, so the channels it reads are kept whole."""

from __future__ import annotations

from .activations import softmax, softmax_backward
from .layer_type import ONNX_IMAGE_AXES, LayerType


def axis(node, rank: int) -> int:
    """Its axis counted from the first after the batch (1-based), for an input of ``rank`` axes."""
    value = node.config.get("axis", -1)
    value = value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value
    return int(value) % (rank + 1)


class Softmax(LayerType):
    name = "Softmax"
    description = "softmax over one axis (no mask)"

    def problem(self, node, input_shape):
        value = node.config.get("axis", -1)
        if isinstance(value, (list, tuple)) and len(value) != 1:
            return f"axis {value}: a softmax over one axis only is supported"
        return "" if axis(node, len(input_shape)) else f"axis {value}: the batch axis"

    def zero_at_zero(self, node):
        return False

    def forward(self, node, weights, values):
        return softmax(values[0], axis(node, values[0].ndim - 1))

    def backward(self, node, weights, values, output, upstream):
        return [softmax_backward(output, upstream, axis(node, output.ndim - 1))], None

    def onnx(self, node, weights, sources, onnx):
        """ONNX's Softmax over the same axis; an image's as it lies in NCHW."""
        rank = len(onnx.shapes[node.name])
        along = axis(node, rank)
        return onnx.add("Softmax", sources, node.name, axis=ONNX_IMAGE_AXES[along] if rank == 3 else along)


LAYER_TYPES = (Softmax(),)
