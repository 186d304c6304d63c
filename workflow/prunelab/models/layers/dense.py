"""Keras's Dense: a matrix product over the last axis, and a bias; its units are a channel space."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


class Dense(LayerType):
    name = "Dense"
    description = "fully connected layer"
    weights = ("kernel", "bias")
    prunable = True
    channel_rule = "creates"

    channel_axes = {"kernel": -1, "bias": 0}
    channel_values = ("bias",)

    def masked_channels(self, arrays, keep):
        """A removed unit loses its kernel column and bias."""
        return {variable: array * keep.astype(array.dtype) if variable in self.channel_axes and array is not None
                else array for variable, array in arrays.items()}

    def live_channels(self, node, arrays):
        kernel, bias = arrays["kernel"], arrays.get("bias")
        return kernel.reshape(-1, kernel.shape[-1]).any(axis=0) | (bias is not None and bias != 0)

    def shape(self, node, input_shape):
        return (*input_shape[:-1], node.config["units"])

    def kernel_shape(self, node, input_shape) -> tuple[int, ...]:
        """Its kernel's shape, from its config and input shape alone (as Keras builds it)."""
        return input_shape[-1], node.config["units"]

    def kernel_rows(self, node, x: np.ndarray) -> np.ndarray:
        """What it multiplies its kernel (as a matrix) with: its input."""
        return x

    def keras_config(self, config, arrays):
        """Its width is its kernel's (a compacted model's is smaller than the saved config's)."""
        return {**config, "units": int(arrays["kernel"].shape[-1])}

    def forward(self, node, weights, values):
        out = values[0] @ weights["kernel"]
        return out if weights.get("bias") is None else out + weights["bias"]

    def backward(self, node, weights, values, output, upstream):
        kernel = weights["kernel"]
        kernel_gradient = values[0].reshape(-1, kernel.shape[0]).T @ upstream.reshape(-1, kernel.shape[1])
        return [upstream @ kernel.T], kernel_gradient

    def onnx(self, node, weights, sources, onnx):
        out = onnx.add("MatMul", [sources[0], onnx.constant(f"{node.name}/kernel", weights["kernel"])],
                       f"{node.name}/matmul")
        if weights.get("bias") is not None:
            out = onnx.add("Add", [out, onnx.constant(f"{node.name}/bias", weights["bias"])], f"{node.name}/add")
        return out


LAYER_TYPES = (Dense(),)
