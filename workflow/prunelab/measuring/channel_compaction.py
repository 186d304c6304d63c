"""Structured pruning of a graph by dependency groups, and the genuinely smaller model it gives.

Which channels of each group stay is a method's choice (``unit`` scores them:
:mod:`prunelab.methods.unit`); they go from every member of the group at the same positions.
In the *masked* model a removed channel is zeroed in every producer (kernel column and bias)
and in its batch norms (γ and β), so it carries exactly zero everywhere: batch norm's shift is
zeroed with the channel, not folded into the next layer's bias (a folded constant would meet
the zero padding of a 'same' convolution at the image border and change the result there).
:func:`compact` then removes those channels from producers, batch norms and consumers: the
smaller model computes what the masked one does, up to float summation order.

Compaction means one thing for every model (:func:`compact_channels`): remove what changes
nothing — channels carrying exact zeros, channels nothing reads — and a channel every
producer lost entirely, a constant, where its consumers' biases take it over exactly.
"""

from __future__ import annotations

import numpy as np

from ..models.dependency import Group, input_rows, pruned_groups
from ..models.graph import Graph, inputs_of
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
            full[group.entries(name)] = group.spread(name, keep)
    return keeps


def _input_keeps(graph: Graph, kept: list[tuple[Group, np.ndarray]]) -> dict[str, tuple[int, np.ndarray]]:
    """Per consumer of a group in ``kept``: (positions, which of its input channels stay)."""
    keeps = {}
    for group, keep in kept:
        for name, positions in group.consumers:
            channels = graph.shapes[graph.node(name).inputs[0]][-1] // positions
            full = keeps.setdefault(name, (positions, np.ones(channels, dtype=bool)))[1]
            full[group.entries(name)] = group.spread(name, keep)
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


def widen(graph: Graph, small: dict, full: dict) -> tuple[dict, dict]:
    """The inverse of :func:`compact`: ``small`` (weights of ``graph`` at fewer channels, a
    narrowed model trained from scratch, say) placed in the shapes of ``full``, each group's
    channels first and zeros for the missing ones, in every member and consumer: it computes what
    ``small`` does, and counts (non-zeros, FLOPs, bytes) compare with pruned versions of ``full``.
    Also returns, per layer and variable, the mask of the entries ``small`` fills."""
    widths = {group: small[group.producers[0]]["kernel"].shape[-1] // group.width(group.producers[0])
              for group in graph.groups}
    kept = [(group, np.arange(group.channels) < width) for group, width in widths.items() if width < group.channels]
    axes: dict[tuple[str, str], list[tuple[int, np.ndarray]]] = {}
    for name, keep in member_keeps(graph, kept).items():
        for variable, axis in LAYER_TYPES[graph.node(name).op].channel_axes.items():
            axes.setdefault((name, variable), []).append((axis, keep))
    for name, (positions, keep) in _input_keeps(graph, kept).items():
        conv = full[name]["kernel"].ndim == 4
        axes.setdefault((name, "kernel"), []).append((2, keep) if conv else (0, _over_input(keep, positions)))
    widened, filled = {}, {}
    for name, arrays in full.items():
        widened[name], filled[name] = {}, {}
        for variable, target in arrays.items():
            if target is None:
                widened[name][variable] = None
                continue
            mask = np.ones(target.shape, dtype=bool)
            for axis, keep in axes.get((name, variable), ()):
                shape = [1] * target.ndim
                shape[axis] = -1
                mask &= keep.reshape(shape)
            placed = np.zeros(target.shape, dtype=small[name][variable].dtype)
            placed[mask] = small[name][variable].ravel()  # np.compress keeps the row-major order
            widened[name][variable], filled[name][variable] = placed, mask
    return widened, filled


def _channel_rows(graph: Graph, group: Group, name: str, positions: int, kernel: np.ndarray) -> np.ndarray:
    """Consumer ``name``'s kernel grouped by the input channel of ``group`` each entry reads:
    (the group's channels, everything else)."""
    if kernel.ndim == 4:
        rows = kernel[:, :, group.entries(name), :]
        return np.moveaxis(rows, 2, 0).reshape(group.channels, -1)
    channels = graph.shapes[graph.node(name).inputs[0]][-1] // positions
    rows = kernel.reshape(positions, channels, -1)[:, group.entries(name), :]
    return rows.transpose(1, 0, 2).reshape(group.channels, -1)


def _over_input(keep: np.ndarray, positions: int) -> np.ndarray:
    """A consumer's input-channel mask (:func:`_input_keeps`) along its input's last axis, which
    its kernel's input rows follow: repeated for each position after a Flatten."""
    return np.tile(keep, positions) if positions > 1 else keep


def _folded_constants(graph: Graph, weights: dict, group: Group, constant: np.ndarray) -> dict | None:
    """What each consumer of ``group`` adds to its bias when the ``constant`` channels go (a
    channel every producer lost entirely: the same value for every image, its producers' bias
    carried through the group's batch norms and activations), or ``None`` where that is not
    exact: a consumer without a bias, or one whose output the constants do not shift alike at
    every position (a 'same' convolution's padding meets them at the border; a zero padding
    before them)."""
    zero_image = np.zeros((1, *graph.input_shape), np.float32)
    added = {}
    for name, (positions, others) in _input_keeps(graph, [(group, ~constant)]).items():
        node, arrays = graph.node(name), weights[name]
        reads = inputs_of(graph, weights, name, zero_image) * ~_over_input(others, positions)
        shift = LAYER_TYPES[node.op].forward(node, {"kernel": arrays["kernel"]}, [reads])[0]
        shift = shift.reshape(-1, shift.shape[-1])
        if not (shift == shift[0]).all() or (arrays.get("bias") is None and shift[0].any()):
            return None
        if shift[0].any():  # nothing to add to a consumer the constants do not shift (it may have no bias)
            added[name] = shift[0]
    return added


def removable_channels(graph: Graph, weights: dict) -> tuple[list[tuple[Group, np.ndarray]], dict]:
    """Per group pruning can shrink, which channels stay (False: the channel changes nothing once
    gone), and what removing them adds to consumers' biases. A channel goes if it carries exact
    zeros (no member gives it a value for a zero input: every producer's kernel column and bias
    zero, every batch norm's output for a zero input zero), if nothing reads it (every
    consumer's input rows of it zero), or if it is a constant that its consumers' biases take
    over exactly (:func:`_folded_constants`). If every channel could go, the first one read
    stays: a layer keeps a width."""
    kept, added = [], {}
    for group, _ in pruned_groups(graph):
        alive = np.zeros(group.channels, dtype=bool)
        computed = np.zeros(group.channels, dtype=bool)
        for name in members(group):
            node = graph.node(name)
            live = LAYER_TYPES[node.op].live_channels(node, weights[name])
            alive |= group.by_channel(name, live).any(axis=1) if np.ndim(live) else live
        for name in group.producers:
            kernel = weights[name]["kernel"]
            computed |= group.by_channel(name, kernel.reshape(-1, kernel.shape[-1]).any(axis=0)).any(axis=1)
        read = np.zeros(group.channels, dtype=bool) if group.consumers else np.ones(group.channels, dtype=bool)
        for name, positions in group.consumers:
            read |= _channel_rows(graph, group, name, positions, weights[name]["kernel"]).any(axis=1)
        removable, constant = ~alive | ~read, alive & read & ~computed
        if (removable | constant).all():
            keeper = np.argmax(read) if read.any() else 0
            removable[keeper] = constant[keeper] = False
        if constant.any() and (shifts := _folded_constants(graph, weights, group, constant)) is not None:
            removable |= constant
            for name, shift in shifts.items():
                added[name] = added.get(name, 0) + shift
        kept.append((group, ~removable))
    return kept, added


def compact_channels(graph: Graph, weights: dict) -> dict:
    """The weights without the channels that change nothing (:func:`removable_channels`), removed
    constants folded into the next layers' biases: the same function (float rounding aside), a
    smaller model. Removing channels can leave others unread, so the channels found are first
    zeroed, in their members and in their consumers' rows, and the search repeats until it finds
    no more; then they go."""
    found = None
    while True:
        kept, added = removable_channels(graph, weights)
        keeps = [keep for _, keep in kept]
        if all(keep.all() for keep in keeps):
            return weights
        if found is not None and all(np.array_equal(a, b) for a, b in zip(keeps, found)):
            return compact(graph, weights, kept)
        found = keeps
        weights = {name: dict(arrays) for name, arrays in weights.items()}
        for name, shift in added.items():
            weights[name]["bias"] = (weights[name]["bias"] + shift).astype(weights[name]["bias"].dtype)
        weights = masked(graph, weights, kept)
        for name, (positions, keep) in _input_keeps(graph, kept).items():
            weights[name]["kernel"] = weights[name]["kernel"] * _over_input(keep, positions)[:, None]


def parameter_count(weights: dict) -> int:
    """Every weight of the model, batch-norm statistics included (what a saved model holds)."""
    return sum(int(array.size) for arrays in weights.values() for array in arrays.values() if array is not None)
