"""Exact selection: which entries a score removes, shared by every method.

Counts are exact: ``round(k * n)`` entries go, computed in rational arithmetic with halves
rounded up, so they never depend on how binary floating point represents k. Ties are broken
stably by position, so two runs always remove the same entries.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Callable

import numpy as np

MaskFunction = Callable[..., list[np.ndarray]]
"""``masks(weights, k, seed, **needs) -> list of boolean keep-masks``, one per kernel."""


def exact_fraction(k: float | Fraction) -> Fraction:
    """k as an exact rational: a float is read as the shortest decimal that prints as it
    (0.7 is 7/10, not the binary 0.69999...), so counts do not depend on binary rounding."""
    return k if isinstance(k, Fraction) else Fraction(Decimal(repr(float(k))))


def is_unpruned(k: float | Fraction) -> bool:
    """Whether k = 0: the trained model itself, whatever the method (nor its settings) says."""
    return exact_fraction(k) == 0


def count_to_prune(k: float | Fraction, n: int) -> int:
    """``round(k * n)`` with halves rounded up, computed exactly, clipped to ``[0, n]``."""
    exact = exact_fraction(k)
    if not 0 <= exact <= 1:
        raise ValueError(f"k must lie in [0, 1], got {float(k)}")
    return min(n, int((exact * n + Fraction(1, 2)) // 1))


def smallest(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest scores; equal scores go by position.

    The same set as the first ``count`` of a stable argsort, found in linear time: all
    scores below the count-th smallest value, then the earliest of those equal to it.
    The run of minimal scores (already-pruned weights score 0 or less) is taken first
    without partitioning: introselect slows tenfold on arrays of mostly equal values.
    """
    if count <= 0:
        return np.empty(0, dtype=np.intp)
    if count >= scores.size:
        return np.arange(scores.size)
    lowest = np.flatnonzero(scores == scores.min())
    if count <= lowest.size:
        return lowest[:count]
    rest = np.flatnonzero(scores != scores[lowest[0]])
    values, count = scores[rest], count - lowest.size
    threshold = np.partition(values, count - 1)[count - 1]
    below = np.flatnonzero(values < threshold)
    ties = np.flatnonzero(values == threshold)[: count - below.size]
    return np.concatenate([lowest, rest[below], rest[ties]])


def keep_all_but(size: int, removed: np.ndarray) -> np.ndarray:
    """A flat keep-mask of ``size`` entries with ``removed`` set to False."""
    keep = np.ones(size, dtype=bool)
    keep[removed] = False
    return keep


def smallest_score_mask(scores: np.ndarray, k: float | Fraction) -> np.ndarray:
    """Keep-mask removing the ``round(k * n)`` smallest of ``scores`` (ties by position)."""
    flat = scores.ravel()
    return keep_all_but(flat.size, smallest(flat, count_to_prune(k, flat.size))).reshape(scores.shape)


def smallest_per_unit_mask(scores: np.ndarray, k: float | Fraction) -> np.ndarray:
    """Keep-mask removing, in every output unit (column of ``(fan_in, units)`` scores), the
    ``round(k * fan_in)`` smallest of its scores; ties go by position."""
    count = count_to_prune(k, scores.shape[0])
    keep = np.ones(scores.shape, dtype=bool)
    np.put_along_axis(keep, np.argsort(scores, axis=0, kind="stable")[:count], False, axis=0)
    return keep


def global_score_masks(scores: list[np.ndarray], k: float | Fraction) -> list[np.ndarray]:
    """One threshold over every layer's scores together: the ``round(k * N)`` smallest go."""
    keep = smallest_score_mask(np.concatenate([s.ravel() for s in scores]), k)
    ends = np.cumsum([s.size for s in scores])[:-1]
    return [part.reshape(s.shape) for part, s in zip(np.split(keep, ends), scores)]


def layerwise(mask: Callable[[np.ndarray, float], np.ndarray]) -> MaskFunction:
    """Apply a single-array rule to each pruned layer separately."""

    def apply(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
        return [mask(w, k) for w in weights]

    apply.__doc__ = mask.__doc__
    return apply


def magnitude_mask(weights: np.ndarray, k: float | Fraction) -> np.ndarray:
    """Remove the ``round(k * n)`` weights of smallest magnitude in this layer."""
    return smallest_score_mask(np.abs(weights), k)


def unit_norms(weights: np.ndarray) -> np.ndarray:
    """L2 norm of each output unit's incoming weights (the last axis indexes units)."""
    flat = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->j", flat, flat))


def smallest_units_mask(weights: np.ndarray, k: float | Fraction) -> np.ndarray:
    """Remove the ``round(k * units)`` output units (last axis: neurons or conv filters)
    of smallest L2 norm of their incoming weights."""
    keep_units = smallest_score_mask(unit_norms(weights), k)
    return np.broadcast_to(keep_units, weights.shape).copy()


def saliency(weights: list[np.ndarray], gradients: list[np.ndarray]) -> list[np.ndarray]:
    """|w · ∂L/∂w|: the first-order estimate of how much the loss changes if w is removed."""
    return [np.abs(w.astype(np.float64) * g) for w, g in zip(weights, gradients)]
