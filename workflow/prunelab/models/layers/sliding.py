"""What the layers that slide a window over the image share (convolutions and poolings): the
window, strides and padding as TensorFlow applies them, im2col, and placing a window's
gradient back on the image."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from ..graph import Node


def pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class Sliding(NamedTuple):
    """How a convolution or pooling layer slides over the image: its window, strides and padding."""

    window: tuple[int, int]
    strides: tuple[int, int]
    padding: str

    def pad(self, x: np.ndarray, fill=0.0) -> np.ndarray:
        """``x`` padded as TensorFlow pads 'same' (with ``fill``), unchanged for 'valid'."""
        if self.padding == "valid":
            return x
        return np.pad(x, [(0, 0), *same_padding(x.shape[1:3], self.window, self.strides), (0, 0)], constant_values=fill)

    def windows(self, padded: np.ndarray) -> np.ndarray:
        """Every window of the padded images: (n, ho, wo, c, kh, kw)."""
        return windows(padded, self.window, self.strides)

    def rows(self, x: np.ndarray) -> np.ndarray:
        """im2col of the images ``x`` as the layer reads them (padded): (n, ho, wo, kh * kw * c)."""
        return patches(self.pad(x), self.window, self.strides)

    def crop(self, padded_gradient: np.ndarray, shape: tuple) -> np.ndarray:
        """The gradient of the unpadded input ``shape`` from that of its padded copy."""
        if self.padding == "valid":
            return padded_gradient[:, : shape[1], : shape[2]]
        top, left = (before for before, _ in same_padding(shape[1:3], self.window, self.strides))
        return padded_gradient[:, top: top + shape[1], left: left + shape[2]]

    def spread(self, x_shape: tuple, out_shape: tuple, piece) -> np.ndarray:
        """The gradient of the input of ``x_shape``: Σ over window offsets (i, j) of ``piece(i, j)``
        (an output-shaped gradient) placed where that offset reads the (padded) input."""
        padded = list(x_shape)
        if self.padding == "same":
            for axis, (before, after) in zip((1, 2), same_padding(x_shape[1:3], self.window, self.strides)):
                padded[axis] += before + after
        gradient = np.zeros(padded)
        (ho, wo), strides = out_shape[1:3], self.strides
        for i in range(self.window[0]):
            for j in range(self.window[1]):
                gradient[:, i: i + (ho - 1) * strides[0] + 1: strides[0], j: j + (wo - 1) * strides[1] + 1: strides[1]] \
                    += piece(i, j)
        return self.crop(gradient, x_shape)

    def output_side(self, size: int, axis: int) -> int:
        """The output's height (axis 0) or width (axis 1) for an input side of ``size``."""
        if self.padding == "same":
            return math.ceil(size / self.strides[axis])
        return (size - self.window[axis]) // self.strides[axis] + 1

    def onnx_attributes(self, input_sides: tuple[int, int]) -> dict:
        """ONNX's kernel_shape, strides and explicit pads (TensorFlow's 'same': the odd pixel after)."""
        pads = [0, 0, 0, 0]
        if self.padding == "same":
            (top, bottom), (left, right) = same_padding(input_sides, self.window, self.strides)
            pads = [top, left, bottom, right]
        return {"kernel_shape": list(self.window), "strides": list(self.strides), "pads": pads}


def sliding(node: Node) -> Sliding:
    """A convolution's (``kernel_size``: strides 1 by default) or pooling layer's (``pool_size``,
    2 by default: strides the window's) window, strides and padding, Keras's defaults filled in."""
    config = node.config
    convolution = "kernel_size" in config
    window = pair(config["kernel_size"] if convolution else config.get("pool_size", 2))
    strides = pair(config.get("strides") or (1 if convolution else window))
    return Sliding(window, strides, config.get("padding", "valid"))


def same_padding(sides, window, strides) -> list[tuple[int, int]]:
    """(before, after) for each spatial side under TensorFlow's 'same' padding: the odd pixel after."""
    pads = []
    for size, k, s in zip(sides, window, strides):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def windows(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Every (height x width) window of the NHWC images ``x`` at the strides: (n, ho, wo, c, kh, kw)."""
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=(1, 2))
    return view[:, :: strides[0], :: strides[1]]


def patches(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int] = (1, 1)) -> np.ndarray:
    """im2col: every window as one row, in the order of a Keras kernel's flattened rows
    (height, width, channels); shape (n, ho, wo, kh * kw * c)."""
    view = windows(x, window, strides)
    n, ho, wo, channels, kh, kw = view.shape
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(n, ho, wo, kh * kw * channels)


def pool_counts(x: np.ndarray, slide: Sliding) -> np.ndarray:
    """How many pixels inside the image each window of ``x`` covers: what 'same' average pooling
    divides by, as TensorFlow (the padding is not counted)."""
    return slide.windows(slide.pad(np.ones((1, *x.shape[1:3], 1), x.dtype))).sum(axis=(4, 5))

