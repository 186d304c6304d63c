"""``global_weight``: one magnitude threshold over all pruned layers together (ShrinkBench's
GlobalMagWeight), so layers lose different fractions."""

import numpy as np

from .method import Method
from .selection import global_score_masks


def global_weight_masks(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
    """Remove the ``round(k * N)`` smallest |w| among all prunable layers together:
    one threshold for the whole network, so layers lose different fractions."""
    return global_score_masks([np.abs(w) for w in weights], k)


METHODS = (Method("global_weight", "the smallest |w| of all pruned layers together (one threshold)",
                  masks=global_weight_masks, color="tab:orange",
                  paper="Blalock et al. 2020, What is the State of Neural Network Pruning? (GlobalMagWeight)"),)
