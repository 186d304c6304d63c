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
from ..models.graph import Graph, batch_norm

BATCH_NORM_CHANNEL = ("gamma", "beta", "moving_mean", "moving_variance")


def channel_arrays(group: Group, weights: dict) -> list[tuple[str, str]]:
    """(layer, variable) of what gives a group's channels a value besides the kernels: its
    producers' and depthwise convolutions' biases and its batch norms' scale and shift, those the
    model has."""
    biases = [(name, "bias") for name in (*group.producers, *group.carriers) if weights[name].get("bias") is not None]
    return biases + [(name, variable) for name in group.normalizers for variable in ("gamma", "beta")
                     if variable in weights[name]]


def masked(weights: dict, kept: list[tuple[Group, np.ndarray]]) -> dict:
    """The weights with every removed channel zeroed in its producers and batch norms (γ, β and
    the mean, so that a batch norm without scale or center outputs zero there too)."""
    out = {name: dict(arrays) for name, arrays in weights.items()}
    for group, keep in kept:
        for name, variable in [(name, "kernel") for name in group.producers] + channel_arrays(group, weights):
            out[name][variable] = out[name][variable] * keep.astype(out[name][variable].dtype)
        for name in group.normalizers:
            out[name]["moving_mean"] = np.where(keep, out[name]["moving_mean"], 0).astype(np.float32)
        for name in group.carriers:  # a depthwise kernel's slice c computes channel c
            out[name]["kernel"] = out[name]["kernel"] * keep[:, None].astype(np.float32)
    return out


def compact(graph: Graph, weights: dict, kept: list[tuple[Group, np.ndarray]]) -> dict:
    """The weights of the smaller model: removed channels gone from producers (columns, bias),
    batch norms (every per-channel variable) and consumers (input channels or rows). The graph
    stays the same; layer widths are the kernels' (:func:`prunelab.models.keras_models.model_of_graph`)."""
    out = {name: dict(arrays) for name, arrays in weights.items()}
    for group, keep in kept:
        for name in group.producers:
            out[name]["kernel"] = out[name]["kernel"][..., keep]
            if out[name].get("bias") is not None:
                out[name]["bias"] = out[name]["bias"][keep]
        for name in group.normalizers:
            for variable in BATCH_NORM_CHANNEL:
                if variable in out[name]:
                    out[name][variable] = out[name][variable][keep]
        for name in group.carriers:
            out[name]["kernel"] = out[name]["kernel"][:, :, keep]
            if out[name].get("bias") is not None:
                out[name]["bias"] = out[name]["bias"][keep]
        for name, positions in group.consumers:
            out[name]["kernel"] = input_rows(out[name]["kernel"], positions, group.channels, keep)
    return out


def silent_channels(graph: Graph, weights: dict) -> list[tuple[Group, np.ndarray]]:
    """Per group pruning can shrink, which channels carry something (False: exact zeros
    everywhere: every producer's kernel column and bias zero, and every batch norm's output for
    a zero input zero). At least one channel of each group is kept."""
    kept = []
    for group, _ in pruned_groups(graph):
        alive = np.zeros(group.channels, dtype=bool)
        for name in group.producers:
            kernel, bias = weights[name]["kernel"], weights[name].get("bias")
            alive |= kernel.reshape(-1, kernel.shape[-1]).any(axis=0) | (bias is not None and bias != 0)
        for name in group.carriers:  # a depthwise bias gives a channel a value of its own
            bias = weights[name].get("bias")
            alive |= bias is not None and bias != 0
        for name in group.normalizers:
            alive |= batch_norm(np.zeros((1, group.channels), np.float32), weights[name],
                                graph.node(name).config.get("epsilon", 1e-3))[0] != 0
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
