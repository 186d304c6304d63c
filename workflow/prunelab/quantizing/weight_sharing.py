"""Deep Compression's trained quantization (Han et al. 2016, §3): the surviving weights of each
layer share 2^bits values.

Per layer, k-means clusters the nonzero weights into 2^bits centroids, initialized linearly
between the smallest and largest weight (the paper found linear initialization best: it keeps
the rare large weights their own centroids); pruned weights stay exactly zero. Fine-tuning then
moves the centroids, not the weights: each weight's gradient is added to its centroid's (the
paper's "grouped by color and summed"), and every weight of a cluster takes the centroid's new
value, so the weights stay tied and the mask fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.gradients import loss_and_gradients
from ..models.network import Network

MAX_ITERATIONS = 300
"""Lloyd iterations at most; one-dimensional k-means from a linear start settles in far fewer."""


@dataclass
class SharedLayer:
    """One layer's shared weights: the kernel's nonzero positions, each one's centroid, and the
    centroids' values (``centroids[assignment]`` are the weights at ``positions``)."""

    shape: tuple[int, ...]
    positions: np.ndarray  # flat indices of the surviving weights, ascending
    assignment: np.ndarray  # the centroid of each surviving weight
    centroids: np.ndarray  # float64, ascending at clustering

    def kernel(self, dtype=np.float32) -> np.ndarray:
        flat = np.zeros(int(np.prod(self.shape)), dtype=dtype)
        flat[self.positions] = self.centroids[self.assignment]
        return flat.reshape(self.shape)


def cluster(values: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Centroids and assignment of ``values`` (one dimension) by k-means with 2^bits linearly
    initialized centroids: Lloyd's iterations until no weight changes cluster. A centroid that
    loses all its weights keeps its place (it costs a codebook entry, as in the paper)."""
    values = np.asarray(values, dtype=np.float64)
    count = 2 ** bits
    centroids = np.linspace(values.min(), values.max(), count) if values.size else np.zeros(count)
    assignment = nearest(values, centroids)
    for _ in range(MAX_ITERATIONS):
        sums = np.bincount(assignment, weights=values, minlength=count)
        members = np.bincount(assignment, minlength=count)
        centroids = np.where(members > 0, sums / np.maximum(members, 1), centroids)
        updated = nearest(values, centroids)
        if np.array_equal(updated, assignment):
            break
        assignment = updated
    return centroids, assignment


def nearest(values: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The index of each value's nearest centroid (ascending centroids; a tie goes to the lower)."""
    order = np.argsort(centroids, kind="stable")
    boundaries = (centroids[order][1:] + centroids[order][:-1]) / 2
    return order[np.searchsorted(boundaries, values, side="right")]


def share_layer(kernel: np.ndarray, bits: int) -> SharedLayer:
    positions = np.flatnonzero(kernel)
    centroids, assignment = cluster(kernel.reshape(-1)[positions], bits)
    return SharedLayer(kernel.shape, positions, assignment, centroids)


def share_weights(network: Network, bits: list[int]) -> list[SharedLayer]:
    """Every prunable layer's kernel clustered at its number of bits."""
    return [share_layer(kernel, layer_bits) for kernel, layer_bits in zip(network.kernels, bits, strict=True)]


def with_shared(network: Network, layers: list[SharedLayer]) -> Network:
    """``network`` with every prunable kernel replaced by its shared weights."""
    return network.with_weights([layer.kernel(kernel.dtype) for layer, kernel in zip(layers, network.kernels)])


def fine_tune_centroids(network: Network, layers: list[SharedLayer], x: np.ndarray, labels: np.ndarray, *,
                        epochs: int, learning_rate: float, batch_size: int, seed: int, log=None) -> list[dict]:
    """Plain SGD on the centroids for ``epochs`` passes over ``x`` in a seeded order: per batch,
    the cross-entropy's gradient of every surviving weight (exact, float64: the engine's
    backpropagation), summed per centroid. Updates ``layers`` in place; returns each epoch's mean
    training loss."""
    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        order, losses = rng.permutation(len(x)), []
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss, gradients = loss_and_gradients(with_shared(network, layers), x[batch], labels[batch])
            for layer, gradient in zip(layers, gradients):
                summed = np.bincount(layer.assignment, weights=gradient.reshape(-1)[layer.positions],
                                     minlength=layer.centroids.size)
                layer.centroids = layer.centroids - learning_rate * summed
            losses.append(loss)
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses))})
        if log:
            log.info("centroid fine-tuning epoch %d: mean training loss %.4f", epoch + 1, history[-1]["loss"])
    return history

