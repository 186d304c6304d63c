"""Keras's GlobalAveragePooling1D (channels last): each feature's mean over the sequence's
positions (a vision transformer's tokens), as F features or, with ``keepdims``, a sequence of one."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


class GlobalAveragePooling1D(LayerType):
    name = "GlobalAveragePooling1D"
    description = "global average pooling over a sequence"

    def problem(self, node, input_shape):
        return "" if len(input_shape) == 2 else f"takes a sequence (steps, features), not shape {tuple(input_shape)}"

    def shape(self, node, input_shape):
        return (1, input_shape[-1]) if node.config.get("keepdims") else (input_shape[-1],)

    def forward(self, node, weights, values):
        return values[0].mean(axis=1, keepdims=bool(node.config.get("keepdims", False)))

    def backward(self, node, weights, values, output, upstream):
        x = values[0]
        return [np.broadcast_to(upstream.reshape(len(upstream), 1, -1), x.shape) / x.shape[1]], None

    def onnx(self, node, weights, sources, onnx):
        return onnx.add("ReduceMean", sources, node.name, axes=[1], keepdims=int(bool(node.config.get("keepdims"))))


LAYER_TYPES = (GlobalAveragePooling1D(),)
