"""Keras's ReLU layer: max(x, 0), capped where it has a ``max_value`` (ReLU6)."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


class ReLU(LayerType):
    name = "ReLU"
    description = "ReLU, with or without a ceiling (max_value: ReLU6), without threshold or slope"

    def problem(self, node, input_shape):
        if node.config.get("negative_slope", 0) or node.config.get("threshold", 0):
            return "only the ReLU without negative_slope or threshold (a max_value is supported)"
        return ""

    def forward(self, node, weights, values):
        out = np.maximum(values[0], 0.0)
        ceiling = node.config.get("max_value")
        return out if ceiling is None else np.minimum(out, np.asarray(ceiling, out.dtype))

    def backward(self, node, weights, values, output, upstream):
        """TensorFlow's: zero at 0, and at the ceiling where there is one."""
        ceiling = node.config.get("max_value")
        return [upstream * ((output > 0) & (True if ceiling is None else output < ceiling))], None

    def onnx(self, node, weights, sources, onnx):
        ceiling = node.config.get("max_value")
        if ceiling is None:
            return onnx.add("Relu", sources, node.name)
        bounds = [onnx.scalar(f"{node.name}/{end}", value) for end, value in (("min", 0.0), ("max", ceiling))]
        return onnx.add("Clip", [sources[0], *bounds], node.name)


LAYER_TYPES = (ReLU(),)
