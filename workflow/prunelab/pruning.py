"""Pruning methods: small pure functions from weights and a fraction k to keep-masks.

A method is registered by name, in the style of ``torch.nn.utils.prune``; it maps
the list of prunable kernels to one boolean mask per kernel (``True`` = kept). Most
methods are layerwise rules on a single array, lifted by :func:`layerwise`;
``global_weight`` ranks all prunable weights together (ShrinkBench's
GlobalMagWeight). Counts are exact: ``round(k * n)`` weights or units go, ties
broken stably by position, so two runs always prune the same entries.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .network import Network

ListMaskFunction = Callable[[list[np.ndarray], float, int], list[np.ndarray]]
METHODS: dict[str, ListMaskFunction] = {}
GRANULARITY: dict[str, str] = {}
"""Whether a method removes single weights ("weight") or whole output units ("unit")."""

LAYER_SELECTIONS = ("all_but_output", "conv")


def register(name: str, granularity: str = "weight") -> Callable[[ListMaskFunction], ListMaskFunction]:
    def decorate(function: ListMaskFunction) -> ListMaskFunction:
        if name in METHODS:
            raise ValueError(f"pruning method {name!r} is already registered")
        METHODS[name], GRANULARITY[name] = function, granularity
        return function

    return decorate


def layerwise(mask: Callable[[np.ndarray, float], np.ndarray]) -> ListMaskFunction:
    """Apply a single-array rule to each prunable layer separately."""

    def apply(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
        return [mask(w, k) for w in weights]

    apply.__doc__ = mask.__doc__
    return apply


def count_to_prune(k: float, n: int) -> int:
    """``round(k * n)`` with halves rounded up, clipped to ``[0, n]``."""
    if not 0.0 <= k <= 1.0:
        raise ValueError(f"k must lie in [0, 1], got {k}")
    return min(n, int(math.floor(k * n + 0.5)))


def _smallest(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest scores; equal scores go by position.

    The same set as the first ``count`` of a stable argsort, found in linear time: all
    scores below the count-th smallest value, then the earliest of those equal to it.
    """
    if count <= 0:
        return np.empty(0, dtype=np.intp)
    if count >= scores.size:
        return np.arange(scores.size)
    threshold = np.partition(scores, count - 1)[count - 1]
    below = np.flatnonzero(scores < threshold)
    ties = np.flatnonzero(scores == threshold)[: count - below.size]
    return np.concatenate([below, ties])


def _keep_all_but(size: int, removed: np.ndarray) -> np.ndarray:
    keep = np.ones(size, dtype=bool)
    keep[removed] = False
    return keep


def weight_mask(weights: np.ndarray, k: float) -> np.ndarray:
    """Remove the ``round(k * n)`` weights of smallest magnitude in this layer."""
    magnitudes = np.abs(weights).ravel()
    return _keep_all_but(magnitudes.size, _smallest(magnitudes, count_to_prune(k, magnitudes.size))).reshape(weights.shape)


def unit_mask(weights: np.ndarray, k: float) -> np.ndarray:
    """Remove the ``round(k * units)`` output units (last axis: neurons or conv filters)
    of smallest L2 norm of their incoming weights."""
    norms = unit_norms(weights)
    keep_units = _keep_all_but(norms.size, _smallest(norms, count_to_prune(k, norms.size)))
    return np.broadcast_to(keep_units, weights.shape).copy()


def unit_norms(weights: np.ndarray) -> np.ndarray:
    """L2 norm of each output unit's incoming weights (the last axis indexes units)."""
    flat = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->j", flat, flat))


register("weight")(layerwise(weight_mask))
register("unit", granularity="unit")(layerwise(unit_mask))


@register("global_weight")
def global_weight_masks(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
    """Remove the ``round(k * N)`` smallest |w| among all prunable layers together:
    one threshold for the whole network, so layers lose different fractions."""
    magnitudes = np.concatenate([np.abs(w).ravel() for w in weights])
    keep = _keep_all_but(magnitudes.size, _smallest(magnitudes, count_to_prune(k, magnitudes.size)))
    ends = np.cumsum([w.size for w in weights])[:-1]
    return [part.reshape(w.shape) for part, w in zip(np.split(keep, ends), weights)]


@register("random")
def random_masks(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
    """Remove ``round(k * n)`` weights of each layer chosen uniformly at random (seeded):
    the baseline every pruning method must beat."""
    rng = np.random.default_rng(seed)
    return [_keep_all_but(w.size, rng.permutation(w.size)[:count_to_prune(k, w.size)]).reshape(w.shape)
            for w in weights]


def select_layers(network: Network, selection: str | list[int]) -> list[int]:
    """Indices of the layers to prune: ``all_but_output`` (every layer but the classifier,
    as in all five earlier experiments), ``conv`` (convolutional kernels only), or a list."""
    if selection == "all_but_output":
        return list(range(network.num_layers - 1))
    if selection == "conv":
        return [i for i in range(network.num_layers) if network.is_conv(i)]
    if isinstance(selection, list) and all(0 <= i < network.num_layers for i in selection):
        return sorted(set(selection))
    raise ValueError(f"layers {selection!r}: use one of {', '.join(LAYER_SELECTIONS)} "
                     f"or a list of indices below {network.num_layers}")


def prune(network: Network, method: str, k: float, layers: list[int], seed: int = 0
          ) -> tuple[Network, list[np.ndarray | None]]:
    """Apply ``method`` at fraction ``k`` to the kernels of ``layers``.

    Returns the pruned network and one mask per layer (``None`` where untouched).
    Unit-level methods also zero the biases of the units they remove, so a removed
    unit contributes nothing; weight-level methods leave biases alone.
    """
    if method not in METHODS:
        raise KeyError(f"unknown pruning method {method!r}; registered: {', '.join(METHODS)}")
    chosen = METHODS[method]([network.kernels[i] for i in layers], k, seed)
    masks: list[np.ndarray | None] = [None] * network.num_layers
    for index, mask in zip(layers, chosen):
        masks[index] = mask
    kernels = [w if m is None else np.where(m, w, np.zeros_like(w)) for w, m in zip(network.kernels, masks)]
    biases = network.biases
    if biases is not None and GRANULARITY[method] == "unit":
        biases = [b if m is None else np.where(m.reshape(-1, m.shape[-1]).any(axis=0), b, np.zeros_like(b))
                  for b, m in zip(biases, masks)]
    return network.with_weights(kernels, biases), masks
