"""A trained network as plain numpy arrays, and its exact forward pass.

``kernels[i]`` is layer i's kernel: ``(fan_in, fan_out)`` for dense layers, Keras's
``(height, width, in_channels, filters)`` for conv layers; ``biases[i]`` its bias
(``None`` for bias-free models). The last axis of every kernel indexes the layer's
units (neurons or filters), so unit-level pruning treats both kinds alike.
The float32 numpy forward pass reproduces Keras's predictions, so evaluating a
pruned model never needs TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np

from .datasets import IMAGE_SHAPE, NUM_CLASSES
from .fileio import load_arrays, save_arrays

CONV_BATCH = 500  # images per im2col batch: bounds memory to about 100 MB
IMAGE_SIZE = IMAGE_SHAPE[0]  # square images


@dataclass(frozen=True)
class Network:
    architecture: dict
    kernels: list[np.ndarray]
    biases: list[np.ndarray] | None = field(default=None)

    def __post_init__(self):
        if self.biases is not None and len(self.biases) != len(self.kernels):
            raise ValueError(f"{len(self.kernels)} kernels but {len(self.biases)} biases")

    @property
    def num_layers(self) -> int:
        return len(self.kernels)

    def is_conv(self, index: int) -> bool:
        return len(self.kernels[index].shape) == 4

    def output_positions(self) -> list[int]:
        """Per layer, how many times its kernel is applied per image (conv: output pixels)."""
        positions, size, pools = [], IMAGE_SIZE, self.architecture.get("pool", [])
        for index, kernel in enumerate(self.kernels):
            if self.is_conv(index):
                size -= kernel.shape[0] - 1
                positions.append(size * size)
                size = size // 2 if pools[index] else size
            else:
                positions.append(1)
        return positions

    def with_weights(self, kernels: list[np.ndarray], biases: list[np.ndarray] | None) -> "Network":
        return replace(self, kernels=kernels, biases=biases)

    def save(self, path: str | os.PathLike) -> None:
        arrays = {f"W{i}": kernel for i, kernel in enumerate(self.kernels)}
        arrays.update({f"b{i}": bias for i, bias in enumerate(self.biases or [])})
        save_arrays(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, architecture: dict) -> "Network":
        arrays = load_arrays(path)
        count = sum(name.startswith("W") for name in arrays)
        kernels = [arrays[f"W{i}"] for i in range(count)]
        biases = [arrays[f"b{i}"] for i in range(count)] if "b0" in arrays else None
        return cls(architecture, kernels, biases)


def kernel_shapes(architecture: dict, num_classes: int = NUM_CLASSES) -> list[tuple[int, ...]]:
    """The kernel shape of every weighted layer of an architecture, on 28x28 images."""
    shapes, size, channels = [], IMAGE_SIZE, 1
    for filters, pool in zip(architecture.get("conv", []), architecture.get("pool", [])):
        kernel = architecture["kernel_size"]
        shapes.append((kernel, kernel, channels, filters))
        size = size - kernel + 1
        size, channels = (size // 2 if pool else size), filters
    fan_in = size * size * channels
    for width in [*architecture["hidden"], num_classes]:
        shapes.append((fan_in, width))
        fan_in = width
    return shapes


def zeros_like_architecture(architecture: dict, num_classes: int = NUM_CLASSES) -> "Network":
    """An all-zero network of the architecture (for shape and FLOP bookkeeping)."""
    shapes = kernel_shapes(architecture, num_classes)
    biases = [np.zeros(s[-1], np.float32) for s in shapes] if architecture.get("bias") else None
    return Network(architecture, [np.zeros(s, np.float32) for s in shapes], biases)


def features(architecture: dict, images: np.ndarray) -> np.ndarray:
    """The model's input: images scaled to [0, 1] as float32, flat for dense models,
    with a channel axis for convolutional ones."""
    scaled = images.astype(np.float32) / np.float32(255.0)
    if architecture["type"] == "cnn":
        return scaled[..., np.newaxis]
    return scaled.reshape(len(images), -1)


def conv2d_valid(x: np.ndarray, kernel) -> np.ndarray:
    """Stride-1 'valid' convolution (Keras Conv2D's cross-correlation) by im2col and one matmul.

    ``kernel`` is a 4-D array, or anything with that ``shape`` whose ``as_matrix()`` gives the
    ``(height * width * in, filters)`` matrix (a sparse kernel, say).
    """
    kh, kw, channels, filters = kernel.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # n, ho, wo, c, kh, kw
    n, ho, wo = windows.shape[:3]
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * channels)
    matrix = kernel.reshape(kh * kw * channels, filters) if isinstance(kernel, np.ndarray) else kernel.as_matrix()
    return (patches @ matrix).reshape(n, ho, wo, filters)


def max_pool_2x2(x: np.ndarray) -> np.ndarray:
    """Keras MaxPooling2D() defaults: 2x2 windows, stride 2, odd edges dropped."""
    n, h, w, c = x.shape
    x = x[:, : h - h % 2, : w - w % 2]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _layer_output(network: Network, index: int, x: np.ndarray) -> np.ndarray:
    kernel = network.kernels[index]
    out = conv2d_valid(x, kernel) if network.is_conv(index) else x @ kernel
    if network.biases is not None:
        out = out + network.biases[index]
    return out


def logits(network: Network, x: np.ndarray) -> np.ndarray:
    """Pre-softmax outputs: ReLU after every layer but the last; conv layers pooled where
    the architecture says; flattened (in Keras's NHWC order) before the first dense layer."""
    if any(network.is_conv(i) for i in range(network.num_layers)) and len(x) > CONV_BATCH:
        return np.concatenate([logits(network, x[i:i + CONV_BATCH]) for i in range(0, len(x), CONV_BATCH)])
    pools = network.architecture.get("pool", [])
    for index in range(network.num_layers):
        if not network.is_conv(index) and x.ndim > 2:
            x = x.reshape(len(x), -1)
        x = _layer_output(network, index, x)
        if index < network.num_layers - 1:
            x = np.maximum(x, 0.0, out=x)
            if network.is_conv(index) and pools[index]:
                x = max_pool_2x2(x)
    return x
