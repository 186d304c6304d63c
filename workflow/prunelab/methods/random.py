"""``random``: weights chosen at random per layer, the floor every method must beat."""

import numpy as np

from .method import Method
from .selection import count_to_prune, keep_all_but


def random_masks(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
    """Remove ``round(k * n)`` weights of each layer chosen uniformly at random (seeded):
    the baseline every pruning method must beat."""
    rng = np.random.default_rng(seed)
    return [keep_all_but(w.size, rng.permutation(w.size)[:count_to_prune(k, w.size)]).reshape(w.shape)
            for w in weights]


METHODS = (Method("random", "random weights per layer: the floor every method must beat", masks=random_masks,
                  color="tab:gray", floor=True, paper="Blalock et al. 2020 (the random baseline)"),)
