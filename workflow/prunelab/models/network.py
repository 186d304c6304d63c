"""A trained network as plain numpy arrays, and its exact forward pass.

``kernels[i]`` is layer i's kernel: ``(fan_in, fan_out)`` for dense layers, Keras's
``(height, width, in_channels, filters)`` for conv layers; ``biases[i]`` its bias
(``None`` for bias-free models). The last axis of every kernel indexes the layer's
units (neurons or filters), so unit-level pruning treats both kinds alike.
The float32 numpy forward pass reproduces Keras's predictions, so evaluating a
pruned model never needs TensorFlow.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace

import numpy as np

from ..data.datasets import IMAGE_SHAPE, NUM_CLASSES
from ..plumbing.fileio import load_arrays, save_arrays
from .layers.pooling import max_pool
from .layers.sliding import Sliding, patches
from .graph_network import GRAPH_KEY, GRAPH_TYPES, GraphNetwork, graph_kernel_shapes

POOL_2X2 = Sliding((2, 2), (2, 2), "valid")
"""A chain's pooling: Keras MaxPooling2D() defaults, 2x2 windows, stride 2, odd edges dropped."""
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

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One input as the first layer takes it: (28, 28, channels) for conv nets, (fan-in,) otherwise."""
        return (*IMAGE_SHAPE, self.kernels[0].shape[2]) if self.is_conv(0) else (self.kernels[0].shape[0],)

    def output_positions(self) -> list[int]:
        """Per layer, how many times its kernel is applied per image (conv: output pixels)."""
        convs = [k.shape[0] for i, k in enumerate(self.kernels) if self.is_conv(i)]
        sides = [side for side, _ in conv_sizes(convs, pools_of(self))]
        return [side * side for side in sides] + [1] * (self.num_layers - len(sides))

    def other_flops(self, nonzero: bool) -> int:
        """Multiply-accumulates per image of layers whose weights methods do not prune: none in a chain."""
        return 0

    def with_weights(self, kernels: list[np.ndarray], biases: list[np.ndarray] | None) -> "Network":
        return replace(self, kernels=kernels, biases=biases)

    def layer_bias(self, index: int) -> np.ndarray | None:
        """Layer ``index``'s bias (``None`` in a bias-free model)."""
        return None if self.biases is None else self.biases[index]

    def with_layer(self, index: int, kernel: np.ndarray, bias: np.ndarray | None) -> "Network":
        """The network with layer ``index``'s kernel and bias (if it has one) replaced."""
        kernels = [kernel if i == index else k for i, k in enumerate(self.kernels)]
        biases = None if self.biases is None else [bias if i == index else b for i, b in enumerate(self.biases)]
        return self.with_weights(kernels, biases)

    def narrowed_architecture(self) -> dict:
        """The architecture to build and train this network's shapes anew: its own (a compacted
        chain's says its widths)."""
        return self.architecture

    def sole_reader(self, index: int) -> tuple[int | None, str]:
        """The layer that alone reads layer ``index``'s units and nothing else (in a chain the next
        one; ``None`` after the output layer), and why there is none ("" in a chain)."""
        return (index + 1 if index + 1 < self.num_layers else None), ""

    def absolute(self) -> "Network":
        """Every kernel and bias replaced by its absolute value (SynFlow's linearized network)."""
        return self.with_weights([np.abs(k) for k in self.kernels],
                                 None if self.biases is None else [np.abs(b) for b in self.biases])

    def parameters(self) -> list[np.ndarray]:
        """Every array the model holds: kernels, then biases."""
        return self.kernels + (self.biases or [])

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array, named as its file holds it (:meth:`save`)."""
        arrays = {f"W{i}": kernel for i, kernel in enumerate(self.kernels)}
        arrays.update({f"b{i}": bias for i, bias in enumerate(self.biases or [])})
        return arrays

    def save(self, path: str | os.PathLike) -> None:
        save_arrays(path, self.arrays())

    @classmethod
    def load(cls, path: str | os.PathLike, architecture: dict) -> "Network | GraphNetwork":
        """The model a training or pruning job wrote: a chain, or a graph model where the file
        holds its graph."""
        return cls.from_arrays(load_arrays(path), architecture)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], architecture: dict) -> "Network | GraphNetwork":
        """The model whose :meth:`arrays` (or a graph model's) these are."""
        if GRAPH_KEY in arrays:
            return GraphNetwork.from_arrays(arrays, architecture)
        count = sum(name.startswith("W") for name in arrays)
        kernels = [arrays[f"W{i}"] for i in range(count)]
        biases = [arrays[f"b{i}"] for i in range(count)] if "b0" in arrays else None
        return cls(architecture, kernels, biases)


def cnn_shape_problem(image_shape: tuple[int, ...]) -> str | None:
    """Why the built-in ``cnn`` cannot take images of ``image_shape`` (its geometry, the
    flattened size its first dense layer takes, is that of 28x28 images), or ``None``."""
    if tuple(image_shape[:2]) == IMAGE_SHAPE:
        return None
    return (f"the built-in cnn takes {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]} images, not {tuple(image_shape)}; for "
            "other images use a resnet, vgg or your own model (custom_models)")


def conv_sizes(kernel_sizes: list[int], pools: list[bool], side: int = IMAGE_SIZE) -> list[tuple[int, int]]:
    """For each 'valid' stride-1 convolution of a square image: the side of its output, and
    the side after its 2x2 max-pooling (if any). The one place this geometry is computed."""
    sizes = []
    for kernel, pool in zip(kernel_sizes, pools):
        side = side - kernel + 1
        sizes.append((side, side // 2 if pool else side))
        side = sizes[-1][1]
    return sizes


def pools_of(network: Network) -> list[bool]:
    """Whether a 2x2 max-pooling follows each layer (only convolutions are ever pooled)."""
    pools = network.architecture.get("pool", [])
    return [network.is_conv(i) and i < len(pools) and bool(pools[i]) for i in range(network.num_layers)]


def kernel_shapes(architecture: dict, num_classes: int = NUM_CLASSES,
                  input_shape: tuple[int, int, int] = (*IMAGE_SHAPE, 1)) -> list[tuple[int, ...]]:
    """The kernel shape of every weighted (prunable) layer of an architecture on images of
    ``input_shape`` (height, width, channels; a cnn's are 28x28) and ``num_classes`` classes."""
    if architecture["type"] in GRAPH_TYPES:
        return graph_kernel_shapes(architecture, input_shape[-1], num_classes)
    filters = architecture.get("conv", [])
    kernel = architecture.get("kernel_size", 0)
    sizes = conv_sizes([kernel] * len(filters), architecture.get("pool", []))
    channels = [input_shape[-1], *filters]
    shapes = [(kernel, kernel, channels[i], f) for i, f in enumerate(filters)]
    fan_in = sizes[-1][1] ** 2 * channels[-1] if sizes else math.prod(input_shape)
    for width in [*architecture["hidden"], num_classes]:
        shapes.append((fan_in, width))
        fan_in = width
    return shapes


def zeros_like_architecture(architecture: dict, num_classes: int = NUM_CLASSES) -> "Network":
    """An all-zero network of the architecture (for shape and FLOP bookkeeping)."""
    shapes = kernel_shapes(architecture, num_classes)
    biases = [np.zeros(s[-1], np.float32) for s in shapes] if architecture.get("bias") else None
    return Network(architecture, [np.zeros(s, np.float32) for s in shapes], biases)



def im2col(x: np.ndarray, window: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Every (height x width x channels) window of the NHWC images ``x`` as one row, in the
    order of a Keras kernel's flattened rows; and the output grid (n, out height, out width)."""
    rows = patches(x, window)
    return rows.reshape(-1, rows.shape[-1]), rows.shape[:3]


def conv2d_valid(x: np.ndarray, kernel) -> np.ndarray:
    """Stride-1 'valid' convolution (Keras Conv2D's cross-correlation) by im2col and one matmul.

    ``kernel`` is a 4-D array, or anything with that ``shape`` whose ``as_matrix()`` gives the
    ``(height * width * in, filters)`` matrix (a sparse kernel, say).
    """
    kh, kw, channels, filters = kernel.shape
    patches, (n, ho, wo) = im2col(x, (kh, kw))
    matrix = kernel.reshape(kh * kw * channels, filters) if isinstance(kernel, np.ndarray) else kernel.as_matrix()
    return (patches @ matrix).reshape(n, ho, wo, filters)


def _layer_output(network: Network, index: int, x: np.ndarray) -> np.ndarray:
    kernel = network.kernels[index]
    out = conv2d_valid(x, kernel) if network.is_conv(index) else x @ kernel
    if network.biases is not None:
        out = out + network.biases[index]
    return out


def layer_input(network: Network, index: int, x: np.ndarray) -> np.ndarray:
    """What layer ``index`` takes for the model inputs ``x``: the previous layer's output after
    its ReLU (and pooling), flattened (in Keras's NHWC order) for a dense layer."""
    pools = pools_of(network)
    for layer in range(index):
        x = _layer_output(network, layer, _flat_for_dense(network, layer, x))
        x = np.maximum(x, 0.0, out=x)
        if pools[layer]:
            x = max_pool(x, POOL_2X2)
    return _flat_for_dense(network, index, x)


def _flat_for_dense(network: Network, index: int, x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1) if not network.is_conv(index) and x.ndim > 2 else x


def logits(network: Network, x: np.ndarray) -> np.ndarray:
    """Pre-softmax outputs: ReLU after every layer but the last; conv layers pooled where
    the architecture says; flattened (in Keras's NHWC order) before the first dense layer.
    A graph model computes them by its graph (:meth:`GraphNetwork.logits`)."""
    if isinstance(network, GraphNetwork):
        return network.logits(x)
    if any(network.is_conv(i) for i in range(network.num_layers)) and len(x) > CONV_BATCH:
        return np.concatenate([logits(network, x[i:i + CONV_BATCH]) for i in range(0, len(x), CONV_BATCH)])
    last = network.num_layers - 1
    return _layer_output(network, last, layer_input(network, last, x))
