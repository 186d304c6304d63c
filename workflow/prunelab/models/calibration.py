"""A layer's inputs over calibration images, as post-training methods use them.

For a dense layer a row is one image's input vector; for a conv layer one output
position's receptive field (im2col patches), so that in both cases ``X @ kernel.reshape(-1,
units)`` is the layer's pre-activation. Computed in batches of images: the patches of a
conv layer over thousands of images would not fit in memory at once (4096 images give
495,616 rows of 288 inputs for the second conv layer of the default CNN).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .graph import Graph, inputs_of
from .layers import LAYER_TYPES
from .network import Network

BATCH_IMAGES = 256


class LayerInputs:
    """The inputs of the Dense or Conv2D layer ``name`` of a model over the calibration ``images``
    (model inputs), computed through ``weights`` (the layers already pruned, for methods that
    prune layer by layer): rows whose product with the kernel matrix is the layer's
    pre-activation, a strided or 'same'-padded convolution's windows included."""

    def __init__(self, graph: Graph, weights: dict, name: str, images: np.ndarray,
                 batch_images: int = BATCH_IMAGES):
        self.graph, self.weights, self.name, self.images, self.batch_images = graph, weights, name, images, batch_images
        self.fan_in = int(np.prod(weights[name]["kernel"].shape[:-1]))

    def batches(self) -> Iterator[np.ndarray]:
        """Rows of the input matrix, a batch of images at a time (float32)."""
        node = self.graph.node(self.name)
        for start in range(0, len(self.images), self.batch_images):
            x = inputs_of(self.graph, self.weights, self.name, self.images[start:start + self.batch_images])
            yield LAYER_TYPES[node.op].kernel_rows(node, x).reshape(-1, self.fan_in)

    def gram(self) -> np.ndarray:
        """XᵀX in float64, accumulated over the batches."""
        gram = np.zeros((self.fan_in, self.fan_in))
        for rows in self.batches():
            rows = rows.astype(np.float64)
            gram += rows.T @ rows
        return gram

    def squared_norms(self) -> np.ndarray:
        """Σ x_i² over the rows, per input i (float64): the diagonal of XᵀX, without the rest."""
        total = np.zeros(self.fan_in)
        for rows in self.batches():
            total += np.einsum("ij,ij->j", rows, rows, dtype=np.float64)
        return total

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.batches())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        matrix = np.concatenate(list(self.batches()))
        return matrix if dtype is None else matrix.astype(dtype)


def layer_inputs(network: Network, index: int, images: np.ndarray) -> LayerInputs:
    """The provider of the ``inputs`` need (:mod:`prunelab.methods.needs`): prunable layer ``index``'s."""
    return LayerInputs(network.graph, network.weights, network.layer_names[index], images)
