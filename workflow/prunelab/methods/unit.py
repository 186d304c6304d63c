"""``unit``: whole neurons or conv filters of smallest L2 norm, per layer (structured pruning
that compaction turns into a smaller dense network); in a graph model (ResNet, VGG), channels by
dependency group."""

import numpy as np

from ..measuring.channel_compaction import channel_keep
from ..models.graph_network import GraphNetwork
from .method import Method
from .selection import smallest_units_mask


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
