"""A researcher's own pruning methods, for the tests (docs/methods.md's worked examples)."""

from decimal import Decimal

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


def _remove_smallest(scores, k):
    """Keep-mask without the round(k * n) smallest scores, halves up, ties by position."""
    count = int(Decimal(repr(float(k))) * scores.size + Decimal("0.5"))
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(scores.ravel(), kind="stable")[:count]] = False
    return keep.reshape(scores.shape)


def per_layer_saliency(weights, k, seed, gradients):
    """Per layer, the weights of smallest |w · ∂L/∂w| (magnitude_gradient, written by hand)."""
    return [_remove_smallest(np.abs(w.astype(np.float64) * g), k) for w, g in zip(weights, gradients)]


def global_saliency(weights, k, seed, gradients):
    """Over all layers together, the weights of smallest |w · ∂L/∂w| (SNIP's score, by hand)."""
    scores = [np.abs(w.astype(np.float64) * g) for w, g in zip(weights, gradients)]
    keep = _remove_smallest(np.concatenate([s.ravel() for s in scores]), k)
    return [part.reshape(s.shape) for part, s in zip(np.split(keep, np.cumsum([s.size for s in scores])[:-1]), scores)]


def input_weighted(weights, k, seed, inputs):
    """Per unit, the weights of smallest |w| times the L2 norm of their input (Wanda's score)."""
    (kernel,), (x,) = weights, inputs  # asking for inputs: one layer at a time
    score = np.abs(kernel.reshape(-1, kernel.shape[-1])) * np.sqrt(np.diag(x.gram()))[:, None]
    keep = np.ones(score.shape, dtype=bool)
    removed = np.argsort(score, axis=0, kind="stable")[: int(round(k * score.shape[0]))]
    np.put_along_axis(keep, removed, False, axis=0)
    return [keep.reshape(kernel.shape)]


def network_slimming(weights, k, seed, groups):
    """Per channel group, the channels of smallest batch-norm scale |γ| (Liu et al. 2017, network slimming)."""
    kept = []
    for group in groups:
        if not group.normalizers:  # no batch norm scores these channels: all stay
            kept.append(np.ones(group.channels, dtype=bool))
            continue
        scores = sum(np.abs(norm["gamma"]) for norm in group.normalizers)
        keep = _remove_smallest(scores, k)
        keep[np.argmax(scores)] = True  # at least one channel of each group stays
        kept.append(keep)
    return kept
