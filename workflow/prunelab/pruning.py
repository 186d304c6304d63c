"""Pruning methods: pure functions from a weight array and a fraction k to a keep-mask.

A method is registered by name, in the style of ``torch.nn.utils.prune``; a mask is
a boolean array of the weight's shape, ``True`` where the weight is kept. Counts
are exact: ``round(k * n)`` weights (or units) are removed, ties broken stably by
position, so two runs always prune the same entries.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

MaskFunction = Callable[[np.ndarray, float], np.ndarray]
METHODS: dict[str, MaskFunction] = {}
GRANULARITY: dict[str, str] = {}
"""Whether a method removes single weights ("weight") or whole output units ("unit")."""


def register(name: str, granularity: str = "weight") -> Callable[[MaskFunction], MaskFunction]:
    def decorate(function: MaskFunction) -> MaskFunction:
        if name in METHODS:
            raise ValueError(f"pruning method {name!r} is already registered")
        METHODS[name], GRANULARITY[name] = function, granularity
        return function

    return decorate


def count_to_prune(k: float, n: int) -> int:
    """``round(k * n)`` with halves rounded up, clipped to ``[0, n]``."""
    if not 0.0 <= k <= 1.0:
        raise ValueError(f"k must lie in [0, 1], got {k}")
    return min(n, int(math.floor(k * n + 0.5)))


def _smallest(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest scores; equal scores go by position."""
    return np.argsort(scores, kind="stable")[:count]


@register("weight")
def weight_mask(weights: np.ndarray, k: float) -> np.ndarray:
    """Remove the ``round(k * n)`` weights of smallest magnitude in this layer."""
    magnitudes = np.abs(weights).ravel()
    keep = np.ones(magnitudes.size, dtype=bool)
    keep[_smallest(magnitudes, count_to_prune(k, magnitudes.size))] = False
    return keep.reshape(weights.shape)


@register("unit", granularity="unit")
def unit_mask(weights: np.ndarray, k: float) -> np.ndarray:
    """Remove the ``round(k * units)`` output units (last axis) of smallest L2 norm."""
    norms = unit_norms(weights)
    keep_units = np.ones(norms.size, dtype=bool)
    keep_units[_smallest(norms, count_to_prune(k, norms.size))] = False
    return np.broadcast_to(keep_units, weights.shape).copy()


def unit_norms(weights: np.ndarray) -> np.ndarray:
    """L2 norm of each output unit's incoming weights (the last axis indexes units)."""
    flat = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->j", flat, flat))


def prunable_layers(num_layers: int) -> list[int]:
    """Indices of the layers pruned: every layer but the output layer."""
    return list(range(num_layers - 1))


def prune(kernels: list[np.ndarray], method: str, k: float) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Apply ``method`` at fraction ``k`` to each prunable kernel, layer by layer.

    Returns the pruned kernels and the masks (``None`` for layers left untouched).
    """
    if method not in METHODS:
        raise KeyError(f"unknown pruning method {method!r}; registered: {sorted(METHODS)}")
    prunable = set(prunable_layers(len(kernels)))
    masks = [METHODS[method](w, k) if i in prunable else None for i, w in enumerate(kernels)]
    pruned = [w if m is None else np.where(m, w, np.zeros_like(w)) for w, m in zip(kernels, masks)]
    return pruned, masks
