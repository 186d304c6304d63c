"""``unit``: whole neurons or conv filters of smallest L2 norm, per layer (structured pruning
that compaction turns into a smaller dense network); in a graph model (ResNet, VGG), channels by
dependency group. A channel method: it asks for ``groups`` and answers which channels of each stay.
The score is this method's own, here: an edit to it reruns unit's results and nothing trained
(tests/test_reruns.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .method import Method
from .selection import smallest_score_mask, unit_norms


def unit_channels(weights: list[np.ndarray], k: float | Fraction, seed: int = 0, *, groups) -> list[np.ndarray]:
    """Per group, the ``round(k * channels)`` channels of smallest score go (ties by position):
    channel c's score is Σ over the group's producers of ‖filter c‖₂, the L2 norm of its incoming
    weights (the group's summed L2 norm, DepGraph's default importance; in an MLP or a plain CNN
    a group is one layer's units; an attention's head sums its units' norms in the query, key and
    value projections). At least one channel of each group stays, so no layer is left without
    outputs."""
    kept = []
    for group in groups:
        scores = sum(unit_norms(weights[producer]).reshape(group.channels, -1).sum(axis=1)
                     for producer in group.producers)
        keep = smallest_score_mask(scores, k)
        if not keep.any():
            keep[np.argmax(scores)] = True
        kept.append(keep)
    return kept


METHODS = (Method("unit", "per layer, whole neurons or filters of smallest L2 norm (graph models: channel "
                  "groups)", masks=unit_channels, color="tab:blue",
                  paper="Li et al. 2017, Pruning Filters for Efficient ConvNets (L2 instead of L1); "
                        "Fang et al. 2023, DepGraph (channel groups)"),)
