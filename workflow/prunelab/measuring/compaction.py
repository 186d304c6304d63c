"""Physical removal of what changes nothing: the pruned model made really smaller.

One meaning for every model (docs/models.md "Channel pruning and compaction",
:func:`prunelab.measuring.channel_compaction.compact_channels`): a channel carrying exact zeros
and a channel nothing reads are removed with the inputs that read them, and a channel that is a
constant (every producer's kernel column gone) is removed where its consumers' biases take it
over exactly. Output units and input pixels are never removed.
"""

from __future__ import annotations

import numpy as np

from ..models.network import Network
from .channel_compaction import compact_channels, widen


def compact(network: Network) -> Network:
    """The smallest network computing the same outputs (:func:`compact_channels`)."""
    return network.with_all_weights(compact_channels(network.graph, network.weights))


def embed(small: Network, full: Network) -> tuple[Network, list[np.ndarray]]:
    """``small`` (a narrower network of ``full``'s kind, e.g. trained from scratch) placed in
    ``full``'s shapes: its channels first in every group, zeros for the missing channels and
    their inputs (:func:`prunelab.measuring.channel_compaction.widen`). It computes the same
    function, and counts (non-zeros, FLOPs, bytes) compare with pruned versions of ``full``.
    Also returns each layer's mask of the occupied block."""
    weights, filled = widen(full.graph, small.weights, full.weights)
    return full.with_all_weights(weights), [filled[name]["kernel"] for name in full.layer_names]
