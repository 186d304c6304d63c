"""Keras's GlobalAveragePooling2D: each channel's mean over the image, as C features or, with
``keepdims``, a 1x1 image."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


class GlobalAveragePooling2D(LayerType):
    name = "GlobalAveragePooling2D"
    description = "global average pooling"
    images = True

    def shape(self, node, input_shape):
        return (1, 1, input_shape[-1]) if node.config.get("keepdims") else (input_shape[-1],)

    def forward(self, node, weights, values):
        return values[0].mean(axis=(1, 2), keepdims=bool(node.config.get("keepdims", False)))

    def backward(self, node, weights, values, output, upstream):
        x = values[0]
        return [np.broadcast_to(upstream.reshape(len(upstream), 1, 1, -1), x.shape) / (x.shape[1] * x.shape[2])], None

    def onnx(self, node, weights, sources, onnx):
        out = onnx.add("GlobalAveragePool", sources, f"{node.name}/pooled")
        return out if node.config.get("keepdims") else onnx.add("Flatten", [out], node.name, axis=1)


LAYER_TYPES = (GlobalAveragePooling2D(),)
