"""Keras's Rescaling: x · scale + offset (EfficientNet's first layer maps pixels to [0, 1]); a
scale and offset per channel are its config's lists. An offset gives a removed channel a value."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


def _constants(node) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(node.config.get("scale", 1.0), np.float32),
            np.asarray(node.config.get("offset", 0.0), np.float32))


class Rescaling(LayerType):
    name = "Rescaling"
    description = "x · scale + offset (one scale and offset, or one per channel)"

    def problem(self, node, input_shape):
        scale, offset = _constants(node)
        if any(array.ndim > 1 or array.ndim == 1 and array.shape[0] not in (1, input_shape[-1])
               for array in (scale, offset)):
            return "scale and offset must be one number or one per channel (the last axis)"
        return ""

    def zero_at_zero(self, node) -> bool:
        return not _constants(node)[1].any()

    def forward(self, node, weights, values):
        scale, offset = _constants(node)
        return values[0] * scale.astype(values[0].dtype) + offset.astype(values[0].dtype)

    def backward(self, node, weights, values, output, upstream):
        return [upstream * _constants(node)[0]], None

    def onnx(self, node, weights, sources, onnx):
        scale, offset = _constants(node)
        out = onnx.add("Mul", [sources[0], onnx.constant(f"{node.name}/scale", onnx.per_channel(node, scale))],
                       f"{node.name}/scaled")
        return onnx.add("Add", [out, onnx.constant(f"{node.name}/offset", onnx.per_channel(node, offset))], node.name)


LAYER_TYPES = (Rescaling(),)
