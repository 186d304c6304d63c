"""``magnitude_gradient``: per layer, the smallest saliency |w · ∂L/∂w| on training images
(ShrinkBench's LayerMagGrad)."""

import numpy as np

from .method import Method
from .selection import saliency, smallest_score_mask


def magnitude_gradient_masks(weights: list[np.ndarray], k: float, seed: int = 0, *,
                             gradients: list[np.ndarray]) -> list[np.ndarray]:
    """Per layer, remove the ``round(k * n)`` weights of smallest |w · ∂L/∂w| (ShrinkBench's LayerMagGrad)."""
    return [smallest_score_mask(score, k) for score in saliency(weights, gradients)]


METHODS = (Method("magnitude_gradient", "per layer, the smallest saliency |w · ∂L/∂w| on training images",
                  masks=magnitude_gradient_masks, settings_key="saliency", color="#9467bd",
                  paper="Blalock et al. 2020 (LayerMagGrad); Molchanov et al. 2017's first-order saliency"),)
