"""Keras's Dense: a matrix product over the last axis, and a bias; its units are a channel space."""

from __future__ import annotations

from .layer_type import UnitLayer, with_bias


class Dense(UnitLayer):
    name = "Dense"
    description = "fully connected layer"
    width = "units"

    def shape(self, node, input_shape):
        return (*input_shape[:-1], node.config["units"])

    def kernel_shape(self, node, input_shape):
        return input_shape[-1], node.config["units"]

    def kernel_rows(self, node, x):
        """Its input."""
        return x

    def forward(self, node, weights, values):
        return with_bias(values[0] @ weights["kernel"], weights)

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
