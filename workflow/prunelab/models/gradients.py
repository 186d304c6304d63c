"""Exact gradients of a :class:`~prunelab.models.network.Network`'s prunable kernels in numpy
(float64), by backpropagation through its graph (:mod:`prunelab.models.graph_gradients`).

Saliency scores (|w · ∂L/∂w|, SNIP) and SynFlow's synaptic flow need gradients but no
training, so pruning jobs get them here without TensorFlow; they match TensorFlow's (tested).
"""

from __future__ import annotations

import numpy as np

from . import graph_gradients
from .network import Network


def kernel_gradients(network: Network, x: np.ndarray, output_gradient) -> list[np.ndarray]:
    """∂objective/∂kernel for every prunable layer, in the order of ``network.kernels``, where
    ``output_gradient(logits)`` gives ∂objective/∂logits (float64 throughout)."""
    gradients = graph_gradients.kernel_gradients(network.graph, network.weights, x, output_gradient)
    return [gradients[name] for name in network.layer_names]


def loss_gradients(network: Network, x: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Gradients of the mean cross-entropy of softmax(logits) over the images ``x``."""
    return loss_and_gradients(network, x, labels)[1]


def loss_and_gradients(network: Network, x: np.ndarray, labels: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """The mean cross-entropy of softmax(logits) over the images ``x`` and its gradients, from one
    forward pass (what a training step needs)."""
    losses = []

    def cross_entropy_gradient(logits):
        shifted = logits - logits.max(axis=1, keepdims=True)
        probabilities = np.exp(shifted)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        losses.append(float(-np.mean(np.log(probabilities[rows, labels]))))
        probabilities[rows, labels] -= 1.0
        return probabilities / len(labels)

    gradients = kernel_gradients(network, x, cross_entropy_gradient)
    return losses[0], gradients
