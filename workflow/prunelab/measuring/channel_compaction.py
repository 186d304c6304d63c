"""Structured pruning of a graph by dependency groups, and the genuinely smaller model it gives.

Which channels of each group stay is a method's choice (``unit`` scores them:
:mod:`prunelab.methods.unit`); they go from every member of the group at the same positions.
In the *masked* model a removed channel is zeroed in every producer (kernel column and bias)
and in its batch norms (γ and β), so it carries exactly zero everywhere: batch norm's shift is
zeroed with the channel, not folded into the next layer's bias (a folded constant would meet
the zero padding of a 'same' convolution at the image border and change the result there).
:func:`compact` then removes those channels from producers, batch norms and consumers: the
smaller model computes what the masked one does, up to float summation order.
"""

from __future__ import annotations

import numpy as np

from ..models.dependency import Group, input_rows, pruned_groups
from ..models.graph import Graph
from ..models.layers import LAYER_TYPES


def members(group: Group) -> tuple[str, ...]:
    """The layers a group's channels are part of: its producers, batch norms and depthwise
    convolutions (each layer type says which of its arrays go with a channel)."""
    return (*group.producers, *group.normalizers, *group.carriers)


def channel_arrays(graph: Graph, group: Group, weights: dict) -> list[tuple[str, str]]:
    """(layer, variable) of what gives a group's channels a value besides the kernels: its
    producers' and depthwise convolutions' biases and its batch norms' scale and shift, those the
    model has."""
    return [(name, variable) for name in members(group)
            for variable in LAYER_TYPES[graph.node(name).op].channel_values if weights[name].get(variable) is not None]


def masked(graph: Graph, weights: dict, kept: list[tuple[Group, np.ndarray]]) -> dict:
    """The weights with every removed channel zeroed in each member of its group, where it gives
    the channel a value (:meth:`~prunelab.models.layers.layer_type.LayerType.masked_channels`)."""
    out = {name: dict(arrays) for name, arrays in weights.items()}
    for group, keep in kept:
        for name in members(group):
            out[name] = LAYER_TYPES[graph.node(name).op].masked_channels(out[name], keep)
    return out


def compact(graph: Graph, weights: dict, kept: list[tuple[Group, np.ndarray]]) -> dict:
    """The weights of the smaller model: removed channels gone from every member of their group
    (each array on its channel axis) and from its consumers (input channels or rows). The graph
    stays the same; layer widths are the kernels' (:func:`prunelab.models.keras_models.model_of_graph`)."""
    out = {name: dict(arrays) for name, arrays in weights.items()}
    for group, keep in kept:
        for name in members(group):
            for variable, axis in LAYER_TYPES[graph.node(name).op].channel_axes.items():
                if out[name].get(variable) is not None:
                    out[name][variable] = np.compress(keep, out[name][variable], axis=axis)
        for name, positions in group.consumers:
            out[name]["kernel"] = input_rows(out[name]["kernel"], positions, group.channels, keep)
    return out


def silent_channels(graph: Graph, weights: dict) -> list[tuple[Group, np.ndarray]]:
    """Per group pruning can shrink, which channels carry something (False: exact zeros
    everywhere: no member gives the channel a value for a zero input: every producer's kernel
    column and bias zero, every batch norm's output for a zero input zero). At least one channel
    of each group is kept."""
    kept = []
    for group, _ in pruned_groups(graph):
        alive = np.zeros(group.channels, dtype=bool)
        for name in members(group):
            node = graph.node(name)
            alive |= LAYER_TYPES[node.op].live_channels(node, weights[name])
        if not alive.any():
            alive[0] = True
        kept.append((group, alive))
    return kept


def compact_silent(graph: Graph, weights: dict) -> dict:
    """The weights without their silent channels (:func:`silent_channels`): the same function,
    a smaller model. A channel that is computed but never read stays (unlike a chain's
    compaction, which also drops units nothing reads)."""
    return compact(graph, weights, silent_channels(graph, weights))


def parameter_count(weights: dict) -> int:
    """Every weight of the model, batch-norm statistics included (what a saved model holds)."""
    return sum(int(array.size) for arrays in weights.values() for array in arrays.values() if array is not None)
