"""Keras's MaxPooling2D and AveragePooling2D (channels last, any window, strides and padding):
each channel pooled alone. Max-pooling routes a window's gradient to its first maximum
(row-major), as TensorFlow does; overlapping windows add up. 'Same' average pooling divides by
the pixels inside the image, as TensorFlow does."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType
from .sliding import pool_counts, sliding


class MaxPooling2D(LayerType):
    name = "MaxPooling2D"
    description = "max-pooling"
    images = True
    onnx_op = "MaxPool"

    def shape(self, node, input_shape):
        slide = sliding(node)
        return slide.output_side(input_shape[0], 0), slide.output_side(input_shape[1], 1), input_shape[2]

    def forward(self, node, weights, values):
        slide = sliding(node)
        return slide.windows(slide.pad(values[0], -np.inf)).max(axis=(4, 5))

    def backward(self, node, weights, values, output, upstream):
        slide, x = sliding(node), values[0]
        view = slide.windows(slide.pad(x, -np.inf))
        first = view.reshape(*view.shape[:4], -1).argmax(axis=-1)
        return [slide.spread(x.shape, upstream.shape, lambda i, j: upstream * (first == i * slide.window[1] + j))], None

    def onnx(self, node, weights, sources, onnx):
        return onnx.add(self.onnx_op, sources, node.name,
                        **sliding(node).onnx_attributes(onnx.shapes[node.inputs[0]][:2]))


class AveragePooling2D(MaxPooling2D):
    name = "AveragePooling2D"
    description = "average pooling"
    onnx_op = "AveragePool"

    def forward(self, node, weights, values):
        slide, x = sliding(node), values[0]
        return slide.windows(slide.pad(x)).sum(axis=(4, 5)) / pool_counts(x, slide)

    def backward(self, node, weights, values, output, upstream):
        slide, x = sliding(node), values[0]
        count = pool_counts(x, slide)
        return [slide.spread(x.shape, upstream.shape, lambda i, j: upstream / count)], None


LAYER_TYPES = (MaxPooling2D(), AveragePooling2D())
