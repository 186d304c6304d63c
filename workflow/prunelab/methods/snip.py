"""``snip``: SNIP (Lee et al. 2019), at initialization: the weights of smallest connection
sensitivity |w · ∂L/∂w| on one batch, over all pruned layers together, then trained."""

import numpy as np

from . import at_init
from .selection import global_score_masks, saliency


def snip_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, gradients: list[np.ndarray]) -> list[np.ndarray]:
    """Over all pruned layers together, remove the ``round(k * N)`` weights of smallest |w · ∂L/∂w|."""
    return global_score_masks(saliency(weights, gradients), k)


METHODS = (at_init.method("snip", "at initialization, the smallest |w · ∂L/∂w| on one batch, then trained",
                          snip_masks, result_id=at_init.samples_id, settings_key="snip", color="#bcbd22",
                          paper="Lee et al. 2019, SNIP: Single-shot Network Pruning based on Connection Sensitivity"),)
