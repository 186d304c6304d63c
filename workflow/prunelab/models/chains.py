"""The built-in ``dense`` and ``cnn`` as graphs, from their architecture alone.

A ``dense`` is an MLP (ReLU hidden layers, a softmax output) on flattened images; a ``cnn`` its
'valid' 3x3-style ReLU convolutions, each followed by a 2x2 max-pooling where ``pool`` says, then
a flattening and the MLP. Their graph follows from the architecture and the kernels' shapes, so
their files hold only the weighted layers' arrays, as they always have: ``W{i}`` (the kernel of
weighted layer i) and ``b{i}`` (its bias, in a model with biases); the graph is made again on
every read (:func:`chain_graph`). So a model trained before chains became graphs still serves,
and a chain's stored bytes (``size_bytes``) are what they were.

The layers are named by their place among the weighted layers (``conv0``, ``dense3``; ``pool0``
after ``conv0``, ``flatten``), so the same architecture always gives the same names.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.datasets import IMAGE_SHAPE, NUM_CLASSES
from .graph import Graph, Node

CHAIN_TYPES = ("dense", "cnn")
"""The built-in architecture types whose graph follows from the architecture (:func:`chain_graph`)."""
POOL = {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid", "data_format": "channels_last"}
"""A cnn's pooling: Keras MaxPooling2D()'s defaults, 2x2 windows, stride 2, odd edges dropped."""


def cnn_shape_problem(image_shape: tuple[int, ...]) -> str | None:
    """Why the built-in ``cnn`` cannot take images of ``image_shape`` (its geometry, the
    flattened size its first dense layer takes, is that of 28x28 images), or ``None``."""
    if tuple(image_shape[:2]) == IMAGE_SHAPE:
        return None
    return (f"the built-in cnn takes {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]} images, not {tuple(image_shape)}; for "
            "other images use a resnet, vgg or your own model (custom_models)")


def conv_sizes(kernel_sizes: list[int], pools: list[bool], side: int = IMAGE_SHAPE[0]) -> list[tuple[int, int]]:
    """For each 'valid' stride-1 convolution of a square image: the side of its output, and
    the side after its 2x2 max-pooling (if any). The one place this geometry is computed."""
    sizes = []
    for kernel, pool in zip(kernel_sizes, pools):
        side = side - kernel + 1
        sizes.append((side, side // 2 if pool else side))
        side = sizes[-1][1]
    return sizes


def chain_kernel_shapes(architecture: dict, input_shape: tuple[int, int, int], num_classes: int) -> list[tuple]:
    """The kernel shape of every weighted layer of a ``dense`` or ``cnn`` on images of
    ``input_shape`` (height, width, channels; a cnn's are 28x28, a dense takes them flattened)."""
    filters = architecture.get("conv", [])
    kernel = architecture.get("kernel_size", 0)
    sizes = conv_sizes([kernel] * len(filters), architecture.get("pool", []))
    widths = [input_shape[-1], *filters]
    shapes = [(kernel, kernel, widths[i], f) for i, f in enumerate(filters)]
    fan_in = sizes[-1][1] ** 2 * widths[-1] if sizes else math.prod(input_shape)
    for width in [*architecture["hidden"], num_classes]:
        shapes.append((fan_in, width))
        fan_in = width
    return shapes


def layer_name(index: int, kernel_shape: tuple) -> str:
    """Weighted layer ``index``'s name: ``conv{index}`` or ``dense{index}``."""
    return f"{'conv' if len(kernel_shape) == 4 else 'dense'}{index}"


def chain_graph(architecture: dict, kernel_shapes: list[tuple]) -> Graph:
    """The graph of a ``dense`` or ``cnn`` whose weighted layers have ``kernel_shapes`` (their
    widths, kernel sizes and the input's size; a compacted model's are narrower than its
    architecture says), with the configs Keras gives its layers."""
    bias, pools = bool(architecture.get("bias", False)), architecture.get("pool", [])
    convolutional = len(kernel_shapes[0]) == 4
    input_shape = [*IMAGE_SHAPE, kernel_shapes[0][2]] if convolutional else [kernel_shapes[0][0]]
    nodes = [Node("input", "InputLayer", {"name": "input", "batch_shape": [None, *input_shape]}, ())]

    def add(name: str, op: str, config: dict) -> None:
        nodes.append(Node(name, op, {"name": name, **config}, (nodes[-1].name,)))

    last = len(kernel_shapes) - 1
    for index, shape in enumerate(kernel_shapes):
        activation = "softmax" if index == last else "relu"
        if len(shape) == 4:
            add(layer_name(index, shape), "Conv2D",
                {"filters": shape[3], "kernel_size": list(shape[:2]), "strides": [1, 1], "padding": "valid",
                 "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": activation,
                 "use_bias": bias})
            if index < len(pools) and pools[index]:
                add(f"pool{index}", "MaxPooling2D", POOL)
            continue
        if index and len(kernel_shapes[index - 1]) == 4:
            add("flatten", "Flatten", {"data_format": "channels_last"})
        add(layer_name(index, shape), "Dense", {"units": shape[1], "activation": activation, "use_bias": bias})
    return Graph(tuple(nodes), nodes[-1].name)


def chain_weights(kernels: list[np.ndarray], biases: list[np.ndarray] | None) -> dict:
    """The weights of a chain's graph (:func:`chain_graph`), by layer name and variable."""
    return {layer_name(i, kernel.shape): {"kernel": kernel} if biases is None else {"kernel": kernel, "bias": biases[i]}
            for i, kernel in enumerate(kernels)}


def chain_file_architecture(architecture: dict, kernels: list[np.ndarray]) -> dict:
    """The architecture a chain's file records: each hidden layer's width its kernel's (a compacted
    model's are narrower than the configured ones; an uncompacted model's are the configured)."""
    widths = [k.shape[-1] for k in kernels[:-1]]
    conv = len(architecture.get("conv", []))
    updated = {**architecture, "hidden": widths[conv:]}
    if conv:
        updated["conv"] = widths[:conv]
    return updated
