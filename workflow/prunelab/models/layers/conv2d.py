"""Keras's Conv2D (channels last, no dilation or groups): cross-correlation by im2col and one
matrix product; its filters are a channel space."""

from __future__ import annotations

import numpy as np

from .layer_type import UnitLayer, with_bias
from .sliding import Sliding, pair, sliding


def conv2d(x: np.ndarray, kernel, slide: Sliding) -> np.ndarray:
    """Keras Conv2D's cross-correlation by im2col and one matrix product. ``kernel`` is a 4-D
    array, or anything with that ``shape`` whose ``as_matrix()`` gives the ``(height * width *
    in, filters)`` matrix (a sparse kernel, say)."""
    kh, kw, channels, filters = kernel.shape
    rows = slide.rows(x)
    matrix = kernel.reshape(kh * kw * channels, filters) if isinstance(kernel, np.ndarray) else kernel.as_matrix()
    return (rows.reshape(-1, rows.shape[-1]) @ matrix).reshape(*rows.shape[:3], filters)


class Conv2D(UnitLayer):
    name = "Conv2D"
    description = "2-D convolution (any kernel size and stride, 'valid' or 'same' padding, with or without bias)"
    images = True
    im2col = True
    width = "filters"

    def problem(self, node, input_shape):
        dilated = tuple(node.config.get("dilation_rate", (1, 1))) != (1, 1)
        return "dilation and groups are not supported" if dilated or node.config.get("groups", 1) != 1 else ""

    def shape(self, node, input_shape):
        slide = sliding(node)
        return slide.output_side(input_shape[0], 0), slide.output_side(input_shape[1], 1), node.config["filters"]

    def kernel_shape(self, node, input_shape):
        return *pair(node.config["kernel_size"]), input_shape[-1], node.config["filters"]

    def kernel_rows(self, node, x):
        """Every window of its input (im2col)."""
        return sliding(node).rows(x)

    def forward(self, node, weights, values):
        return with_bias(conv2d(values[0], weights["kernel"], sliding(node)), weights)

    def backward(self, node, weights, values, output, upstream):
        kernel, x = weights["kernel"], values[0]
        kh, kw, channels, filters = kernel.shape
        slide = sliding(node)
        rows = slide.rows(x)
        flat = upstream.reshape(-1, filters)
        kernel_gradient = (rows.reshape(-1, rows.shape[-1]).T @ flat).reshape(kernel.shape)
        row_gradients = (flat @ kernel.reshape(-1, filters).T).reshape(*upstream.shape[:3], kh, kw, channels)
        return [slide.spread(x.shape, upstream.shape, lambda i, j: row_gradients[:, :, :, i, j, :])], kernel_gradient

    def onnx(self, node, weights, sources, onnx):
        kernel = weights["kernel"].transpose(3, 2, 0, 1)  # ONNX's (out, in, height, width)
        bias = weights.get("bias", np.zeros(kernel.shape[0], np.float32))
        attributes = sliding(node).onnx_attributes(onnx.shapes[node.inputs[0]][:2])
        attributes.pop("kernel_shape")
        return onnx.add("Conv", [sources[0], onnx.constant(f"{node.name}/kernel", kernel),
                                 onnx.constant(f"{node.name}/bias", bias)], node.name, **attributes)


LAYER_TYPES = (Conv2D(),)
