"""``unit``: whole neurons or conv filters of smallest L2 norm, per layer (structured pruning
that compaction turns into a smaller dense network); in a graph model (ResNet, VGG), channels by
dependency group. The score is this method's own, here: an edit to it reruns unit's results
and nothing trained (tests/test_reruns.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..models.dependency import Group, pruned_groups
from ..models.graph import Graph
from ..models.graph_network import GraphNetwork
from .method import Method
from .selection import smallest_score_mask, smallest_units_mask, unit_norms


def channel_keep(graph: Graph, weights: dict, k: float | Fraction) -> list[tuple[Group, np.ndarray]]:
    """For every group pruning can shrink, which channels stay at fraction ``k`` (ties by
    position): channel c is scored by Σ over the group's trainable producers of ‖filter c‖₂ (the
    group's summed L2 norm, DepGraph's default importance); at least one channel of each group
    stays, so no layer is left without outputs."""
    kept = []
    for group, producers in pruned_groups(graph):
        scores = sum(unit_norms(weights[name]["kernel"]) for name in producers)
        keep = smallest_score_mask(scores, k)
        if not keep.any():
            keep[np.argmax(scores)] = True
        kept.append((group, keep))
    return kept


def unit_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, network, layers: list[int]
               ) -> list[np.ndarray]:
    """Per pruned layer, the ``round(k * units)`` output units (neurons or filters) of smallest
    L2 norm of their incoming weights. In a graph model, channels tied through batch norm and
    residual additions go together (:mod:`prunelab.models.dependency`): a group's channel c is
    scored by the sum over its producers of ‖filter c‖₂ and removed from all of them; a group is
    pruned only when every one of its trainable producers is among the pruned layers."""
    if not isinstance(network, GraphNetwork):
        return [smallest_units_mask(w, k) for w in weights]
    names = [network.layer_names[index] for index in layers]
    keep_by_layer = {}
    for group, keep in channel_keep(network.graph, network.weights, k):
        producers = [name for name in group.producers if name in network.layer_names]
        if set(producers) <= set(names):
            keep_by_layer.update({name: keep for name in producers})
    return [np.broadcast_to(keep_by_layer.get(name, np.ones(w.shape[-1], dtype=bool)), w.shape).copy()
            for name, w in zip(names, weights)]


METHODS = (Method("unit", "per layer, whole neurons or filters of smallest L2 norm (graph models: channel "
                  "groups)", masks=unit_masks, removes_units=True, color="tab:blue",
                  paper="Li et al. 2017, Pruning Filters for Efficient ConvNets (L2 instead of L1); "
                        "Fang et al. 2023, DepGraph (channel groups)"),)
