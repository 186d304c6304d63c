"""``global_magnitude_gradient``: the smallest saliency |w · ∂L/∂w| of all pruned layers
together (ShrinkBench's GlobalMagGrad)."""

import numpy as np

from .method import Method
from .selection import global_score_masks, saliency


def global_magnitude_gradient_masks(weights: list[np.ndarray], k: float, seed: int = 0, *,
                                    gradients: list[np.ndarray]) -> list[np.ndarray]:
    """Over all prunable layers together, remove the ``round(k * N)`` weights of smallest
    |w · ∂L/∂w| (ShrinkBench's GlobalMagGrad)."""
    return global_score_masks(saliency(weights, gradients), k)


METHODS = (Method("global_magnitude_gradient", "the smallest saliency |w · ∂L/∂w| of all pruned layers together",
                  masks=global_magnitude_gradient_masks, settings_key="saliency", color="#c5b0d5",
                  paper="Blalock et al. 2020 (GlobalMagGrad)"),)
