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


def member_keeps(graph: Graph, kept: list[tuple[Group, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per member of a group in ``kept``, which channels of its whole channel axis stay: each
    group's choice at the group's offset there (a batch norm after a concatenation holds several
    groups), True elsewhere."""
    keeps = {}
    for group, keep in kept:
        for name in members(group):
            full = keeps.setdefault(name, np.ones(graph.shapes[name][-1], dtype=bool))
            full[group.offset(name):group.offset(name) + group.channels] = keep
    return keeps


def _input_keeps(graph: Graph, kept: list[tuple[Group, np.ndarray]]) -> dict[str, tuple[int, np.ndarray]]:
    """Per consumer of a group in ``kept``: (positions, which of its input channels stay)."""
    keeps = {}
    for group, keep in kept:
        for name, positions in group.consumers:
            channels = graph.shapes[graph.node(name).inputs[0]][-1] // positions
            full = keeps.setdefault(name, (positions, np.ones(channels, dtype=bool)))[1]
            full[group.offset(name):group.offset(name) + group.channels] = keep
    return keeps


def masked(graph: Graph, weights: dict, kept: list[tuple[Group, np.ndarray]]) -> dict:
    """The weights with every removed channel zeroed in each member of its group, where it gives
    the channel a value (:meth:`~prunelab.models.layers.layer_type.LayerType.masked_channels`)."""
    out = {name: dict(arrays) for name, arrays in weights.items()}
    for name, keep in member_keeps(graph, kept).items():
        out[name] = LAYER_TYPES[graph.node(name).op].masked_channels(out[name], keep)
    return out


def compact(graph: Graph, weights: dict, kept: list[tuple[Group, np.ndarray]]) -> dict:
    """The weights of the smaller model: removed channels gone from every member of their group
    (each array on its channel axis) and from its consumers (input channels or rows). The graph
    stays the same; layer widths are the kernels' (:func:`prunelab.models.keras_models.model_of_graph`)."""
    out = {name: dict(arrays) for name, arrays in weights.items()}
    for name, keep in member_keeps(graph, kept).items():
        for variable, axis in LAYER_TYPES[graph.node(name).op].channel_axes.items():
            if out[name].get(variable) is not None:
                out[name][variable] = np.compress(keep, out[name][variable], axis=axis)
    for name, (positions, keep) in _input_keeps(graph, kept).items():
        out[name]["kernel"] = input_rows(out[name]["kernel"], positions, len(keep), keep)
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
            node, start = graph.node(name), group.offset(name)
            live = LAYER_TYPES[node.op].live_channels(node, weights[name])
            alive |= live[start:start + group.channels] if np.ndim(live) else live
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
