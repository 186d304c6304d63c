"""A researcher's own pruning method, for the tests (the README's worked example)."""

import numpy as np


def smallest_rows(weights, k, seed):
    """Per layer, remove the round(k * rows) input rows of smallest L1 norm (whole inputs)."""
    masks = []
    for w in weights:
        matrix = np.abs(w.reshape(-1, w.shape[-1]))
        norms = matrix.sum(axis=1)
        removed = np.argsort(norms, kind="stable")[: int(round(k * len(norms)))]
        keep = np.ones(len(norms), dtype=bool)
        keep[removed] = False
        masks.append(np.broadcast_to(keep[:, None], matrix.shape).reshape(w.shape).copy())
    return masks
