"""Batch-norm recalibration after pruning (Li et al. 2020, EagleEye's "adaptive batch
normalization"): a pruned network's batch norms still normalize with the statistics of the
unpruned one; re-estimating them on a few hundred training images, with no gradient step,
repairs much of what one-shot pruning breaks in a network with batch norms, and is what a
researcher tries before fine-tuning.

Layer by layer in the graph's order, each layer that holds statistics of its inputs
(:attr:`~prunelab.models.layers.layer_type.LayerType.recalibrates`: a batch norm) gets them from
its inputs over the images, computed in inference by every other layer with the masks in place
and every earlier statistic already re-estimated.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .graph import inputs_of
from .layers import LAYER_TYPES
from .network import Network


def recalibrated_layers(network: Network) -> list[str]:
    """The layers whose statistics recalibration re-estimates, in the graph's order."""
    return [node.name for node in network.graph.nodes if LAYER_TYPES[node.op].recalibrates]


def recalibrate(network: Network, x: np.ndarray) -> Network:
    """``network`` with every batch norm's moving mean and variance re-estimated on the images
    ``x`` (model inputs, as :func:`prunelab.data.loading.features` gives them)."""
    weights, batch = dict(network.weights), network.forward_batch()
    for name in recalibrated_layers(network):
        node = network.graph.node(name)
        values = np.concatenate([inputs_of(network.graph, weights, name, x[start:start + batch])
                                 for start in range(0, len(x), batch)])
        weights[name] = LAYER_TYPES[node.op].recalibrated(node, weights[name], [values])
    return replace(network, weights=weights)
