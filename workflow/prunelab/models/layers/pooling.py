"""Keras's MaxPooling2D and AveragePooling2D (channels last, any window, strides and padding):
each channel pooled alone. Max-pooling routes a window's gradient to its first maximum
(row-major), as TensorFlow does; overlapping windows add up. 'Same' average pooling divides by
the pixels inside the image, as TensorFlow does."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType
from .sliding import Sliding, pool_counts, sliding


def max_pool(x: np.ndarray, slide: Sliding) -> np.ndarray:
    """Max-pooling of the NHWC images ``x``, one spatial axis after the other (a window's maximum
    is the maximum of its rows' maxima): along each axis, the elementwise maximum of one strided
    view per window offset. The same values as a reduction over each window (a maximum is exact
    in any order), and faster: numpy reduces over a window view's trailing, non-adjacent axes
    slowly (benchmarks/pooling.md)."""
    out = slide.pad(x, -np.inf)
    for axis, (window, stride) in enumerate(zip(slide.window, slide.strides), start=1):
        length = (out.shape[axis] - window) // stride + 1
        views = [out[(slice(None),) * axis + (slice(i, i + (length - 1) * stride + 1, stride),)]
                 for i in range(window)]
        pooled = np.maximum(views[0], views[1]) if window > 1 else views[0].copy()
        for view in views[2:]:
            np.maximum(pooled, view, out=pooled)
        out = pooled
    return out


class MaxPooling2D(LayerType):
    name = "MaxPooling2D"
    description = "max-pooling"
    images = True
    onnx_op = "MaxPool"

    def shape(self, node, input_shape):
        slide = sliding(node)
        return slide.output_side(input_shape[0], 0), slide.output_side(input_shape[1], 1), input_shape[2]

    def forward(self, node, weights, values):
        return max_pool(values[0], sliding(node))

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
