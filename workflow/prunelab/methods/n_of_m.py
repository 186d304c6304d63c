"""``n_of_m``: N:M semi-structured sparsity by magnitude, the n largest |w| of every m
consecutive inputs of each unit (2:4 is what sparse tensor cores execute; Mishra et al. 2021)."""

from __future__ import annotations

import numpy as np

from .method import Method
from .pattern import checked_pattern, n_of_m_mask, pattern_method


def n_of_m_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, settings: dict) -> list[np.ndarray]:
    """N:M semi-structured sparsity (2:4 is what sparse tensor cores execute); its k is
    fixed at 1 - n/m."""
    n, m = checked_pattern(k, settings)
    return [n_of_m_mask(w, n, m) for w in weights]


METHODS = (Method("n_of_m", "N:M semi-structured: the n largest |w| of every m consecutive inputs",
                  **pattern_method(masks=n_of_m_masks, color="#e377c2",
                                   paper="Mishra et al. 2021, Accelerating Sparse Deep Neural Networks (2:4)")),)
