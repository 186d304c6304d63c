"""Keras's DepthwiseConv2D (depth multiplier 1, no dilation): channel c of the output is channel c
of the input correlated with its own 2-D kernel, so a channel group runs through it: the kernel's
slice c and bias c go with channel c."""

from __future__ import annotations

import math

import numpy as np

from .layer_type import LayerType, with_bias
from .sliding import Sliding, sliding


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, slide: Sliding) -> np.ndarray:
    """Keras DepthwiseConv2D's cross-correlation (depth multiplier 1): channel c of the output is
    channel c of the input correlated with ``kernel[:, :, c, 0]``."""
    return np.einsum("nhwcij,ijc->nhwc", slide.windows(slide.pad(x)), kernel[..., 0])


class DepthwiseConv2D(LayerType):
    name = "DepthwiseConv2D"
    description = "2-D depthwise convolution (depth multiplier 1; each channel convolved alone)"
    weights = ("kernel", "bias")
    images = True
    channel_role = "carrier"

    channel_axes = {"kernel": 2, "bias": 0}
    channel_values = ("bias",)

    def masked_channels(self, arrays, keep):
        """A removed channel loses its bias and its kernel slice."""
        masked = super().masked_channels(arrays, keep)
        return {**masked, "kernel": arrays["kernel"] * keep[:, None].astype(np.float32)}

    def live_channels(self, node, arrays):
        """A bias gives a channel a value of its own."""
        bias = arrays.get("bias")
        return bias is not None and bias != 0

    def flops(self, node, arrays, output_shape, nonzero):
        """Each output pixel of channel c multiplies its window by kernel slice c."""
        kernel = arrays["kernel"]
        return math.prod(output_shape[:-1]) * int(np.count_nonzero(kernel) if nonzero else kernel.size)

    def problem(self, node, input_shape):
        dilated = tuple(node.config.get("dilation_rate", (1, 1))) != (1, 1)
        if dilated or node.config.get("depth_multiplier", 1) != 1:
            return "dilation and a depth multiplier other than 1 are not supported"
        return ""

    def shape(self, node, input_shape):
        slide = sliding(node)
        return slide.output_side(input_shape[0], 0), slide.output_side(input_shape[1], 1), input_shape[2]

    def forward(self, node, weights, values):
        return with_bias(depthwise_conv2d(values[0], weights["kernel"], sliding(node)), weights)

    def backward(self, node, weights, values, output, upstream):
        """∂/∂input: each window offset's kernel weight times the upstream gradient, placed where
        that offset reads the input (its own kernel is no prunable layer's: not differentiated)."""
        kernel, x = weights["kernel"], values[0]
        return [sliding(node).spread(x.shape, upstream.shape, lambda i, j: upstream * kernel[i, j, :, 0])], None

    def onnx(self, node, weights, sources, onnx):
        kernel = weights["kernel"].transpose(2, 3, 0, 1)  # a grouped Conv, one group per channel: (c, 1, h, w)
        bias = weights.get("bias", np.zeros(kernel.shape[0], np.float32))
        attributes = sliding(node).onnx_attributes(onnx.shapes[node.inputs[0]][:2])
        attributes.pop("kernel_shape")
        return onnx.add("Conv", [sources[0], onnx.constant(f"{node.name}/kernel", kernel),
                                 onnx.constant(f"{node.name}/bias", bias)], node.name,
                        **attributes, group=int(kernel.shape[0]))


LAYER_TYPES = (DepthwiseConv2D(),)
