"""Which channels of a graph move together: dependency groups, computed once from the graph.

Removing filter c of a conv layer removes channel c of everything computed from it: the batch
norm over it, and the input channel c of every layer that reads it. Where outputs meet in a
residual ``Add`` their channels are one: filter c of every layer feeding the sum goes, or none
does. A ``Flatten`` spreads channel c over positions c, c + C, c + 2C, ... of the flat vector
(channels last), so a dense layer after it loses those rows. This is the dependency graph of
Fang et al. 2023 (DepGraph, Torch-Pruning's ``dependency/``), for the layers of
:mod:`prunelab.models.graph`: every tensor's last axis indexes a *channel space*, created by the
input and by each Dense and Conv2D layer, carried through by batch norm, activations, pooling,
zero padding, dropout and depthwise convolutions (channel c from channel c alone), joined by
``Add``. A group is one joined space.

A group can be pruned unless it holds the model's input or its output (input pixels and the
classes are never removed), or its channels are spread by a ``Flatten`` into a layer other than
a dense one (a per-position batch norm, say), or an activation that is not zero at zero
(sigmoid, hard sigmoid, softmax) would give a removed channel a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph import Graph
from .layers import LAYER_TYPES
from .layers.activations import NOT_ZERO_AT_ZERO


@dataclass(frozen=True)
class Group:
    """Channels that are removed together, at the same positions.

    ``producers``: the Dense and Conv2D layers whose units (kernel's last axis, bias) are these
    channels; ``normalizers``: the batch norms over them; ``consumers``: ``(layer, positions)``
    for each Dense or Conv2D reading them, channel c being its kernel's input rows
    ``c + positions * C`` for ``positions`` > 1 (after a Flatten) or input channel c (axis 2 of a
    conv kernel, row c of a dense one). ``reason`` says why the group cannot be pruned ("" if it can).
    ``carriers``: the depthwise convolutions over these channels, each computing channel c from
    channel c alone: their kernel's slice c (axis 2) and bias c go with the channel."""

    channels: int
    producers: tuple[str, ...]
    normalizers: tuple[str, ...]
    consumers: tuple[tuple[str, int], ...]
    reason: str = ""
    carriers: tuple[str, ...] = ()
    offsets: tuple[tuple[str, int], ...] = ()
    """The members that hold these channels further along their channel axis (input channels for
    a consumer) than its start, by how far: the later inputs of a concatenation. Others hold
    them from 0."""
    widths: tuple[tuple[str, int], ...] = ()
    """The members that hold each channel as several entries side by side on their channel axis,
    and how many: an attention's heads, a head being key_dim units of the query and key
    projections, value_dim of the value projection and value_dim input rows of the output
    projection. Others hold a channel as one entry."""

    @property
    def prunable(self) -> bool:
        return not self.reason

    def offset(self, name: str) -> int:
        """Where these channels start along the channel axis of member ``name``."""
        return dict(self.offsets).get(name, 0)

    def width(self, name: str) -> int:
        """How many entries of member ``name``'s channel axis each channel is."""
        return dict(self.widths).get(name, 1)

    def entries(self, name: str) -> slice:
        """The entries of member ``name``'s channel axis that hold these channels."""
        start = self.offset(name)
        return slice(start, start + self.channels * self.width(name))

    def spread(self, name: str, per_channel: np.ndarray) -> np.ndarray:
        """A value per channel (which stay, say) as one per entry of member ``name``."""
        return np.repeat(per_channel, self.width(name))

    def by_channel(self, name: str, per_entry: np.ndarray) -> np.ndarray:
        """Member ``name``'s values along its whole channel axis, these channels' entries one row
        per channel (the inverse of :meth:`spread`)."""
        return per_entry[self.entries(name)].reshape(self.channels, -1)


class _Spaces:
    """Union-find over channel spaces, named by the layer that creates each."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def add(self, name: str) -> str:
        self.parent.setdefault(name, name)
        return name

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def join(self, names: list[str]) -> str:
        roots = sorted({self.find(name) for name in names})
        for root in roots[1:]:
            self.parent[root] = roots[0]
        return roots[0]


def dependency_groups(graph: Graph) -> list[Group]:
    """Every channel space's group, in the order of its first producer in the graph."""
    spaces, shapes = _Spaces(), graph.shapes
    layout: dict[str, list[tuple[str, int]]] = {}  # layer -> its output's channels: (space, count) segments
    positions_of: dict[str, int] = {}  # layer -> positions per channel of a flattened output (1 if not flat)
    # space -> its members as (layer, offset of the space in the layer's channels[, positions])
    producers, normalizers, consumers, carriers = {}, {}, {}, {}
    flattened_norms, tangled = [], set()  # batch norms after a Flatten; spaces summed out of line
    widths, read_widths = {}, {}  # entries per channel: of a producer, of a space (its readers')
    for node in graph.nodes:
        if not node.inputs:
            layout[node.name], positions_of[node.name] = [(spaces.add(node.name), shapes[node.name][-1])], 1
            continue
        source, layer = node.inputs[0], LAYER_TYPES[node.op]
        positions_of[node.name] = positions_of[source]
        if layer.channel_rule == "creates":
            for space, offset in _segments(layout[source]):
                consumers.setdefault(space, []).append((node.name, offset, positions_of[source]))
                if space in read_widths:
                    widths[space, node.name] = read_widths[space]
            layout[node.name], positions_of[node.name] = [(spaces.add(node.name), shapes[node.name][-1])], 1
            producers[node.name] = [(node.name, 0)]
        elif layer.channel_rule == "heads":  # the query's, key's and value's units and its output: heads
            *reads, gives = layer.head_widths(node)
            widths.update({(producer, producer): width for producer, width in zip(node.inputs, reads)})
            joined = spaces.join([spaces.add(node.name), *(space for s in node.inputs for space, _ in layout[s])])
            read_widths[joined] = gives
            layout[node.name] = [(joined, shapes[node.name][-1])]
        elif layer.channel_rule in ("joins", "gates"):
            layouts = [layout[s] for s in node.inputs]
            if all([count for _, count in other] == [count for _, count in layouts[0]] for other in layouts):
                layout[node.name] = [(spaces.join([other[index][0] for other in layouts]), count)
                                     for index, (_, count) in enumerate(layouts[0])]
            else:  # channels of different groups meet: all of them one group, kept whole
                joined = spaces.join([space for other in layouts for space, _ in other])
                tangled.add(joined)
                layout[node.name] = [(joined, shapes[node.name][-1])]
        elif layer.channel_rule == "concatenates":
            layout[node.name] = [segment for s in node.inputs for segment in layout[s]]
        else:  # carries, flattens
            layout[node.name] = layout[source]
            if layer.channel_rule == "flattens":
                positions_of[node.name] = positions_of[source] * layer.spread(node, shapes[source])
        table = {"normalizer": normalizers, "carrier": carriers}.get(layer.channel_role)
        if layer.channel_role == "normalizer" and positions_of[source] > 1:
            flattened_norms.append(node.name)
        elif table is not None:
            for space, offset in _segments(layout[source]):
                table.setdefault(space, []).append((node.name, offset))
    blockers = _blockers(graph, layout, flattened_norms)
    members: dict[str, list[str]] = {}
    for node in graph.nodes:
        for space, _ in layout[node.name]:
            root = spaces.find(space)
            members.setdefault(root, [])
            if space not in members[root]:
                members[root].append(space)
    order = {node.name: index for index, node in enumerate(graph.nodes)}
    output_spaces = {spaces.find(space) for space, _ in layout[graph.output]}
    tangled = {spaces.find(space) for space in tangled}
    groups = []
    for root, names in members.items():
        def gather(table):  # the group's entries of a table, in the graph's order
            return sorted((entry for name in names for entry in table.get(name, [])), key=lambda e: order[e[0]])

        made = [name for name, _ in gather(producers)]
        if not made:
            continue  # the input's own space
        reason = ""
        if graph.nodes[0].name in names:
            reason = "it holds the model's input"
        elif root in output_spaces:
            reason = "it holds the model's output"
        elif root in tangled:
            reason = "it is summed with channels of other groups at other positions (after a concatenation)"
        elif blocking := sorted({name for space in names for name in blockers.get(space, ())}, key=order.get):
            blocker = graph.node(blocking[0])
            if blocker.name in flattened_norms:
                reason = f"it is flattened into {blocker.name!r} ({blocker.op}), which is not a dense layer"
            elif blocker.config.get("activation") in NOT_ZERO_AT_ZERO:
                reason = f"{blocker.name!r} applies {blocker.config['activation']}, which is not zero at zero"
            else:
                reason = f"{blocker.name!r} ({blocker.op}) is not zero at zero"
        offsets = tuple((name, offset) for name, offset, *_ in gather(normalizers) + gather(carriers)
                        + gather(consumers) if offset)
        entries = tuple((member, width) for (space, member), width in widths.items() if space in names and width > 1)
        entries = tuple(sorted(entries, key=lambda entry: order[entry[0]]))
        groups.append(Group(shapes[made[0]][-1] // dict(entries).get(made[0], 1), tuple(made),
                            tuple(name for name, _ in gather(normalizers)),
                            tuple((name, positions) for name, _, positions in gather(consumers)), reason,
                            tuple(name for name, _ in gather(carriers)), offsets, entries))
    return sorted(groups, key=lambda group: order[group.producers[0]])


def _segments(segments: list[tuple[str, int]]):
    """(space, offset) of each segment of a layout, the offsets counted along the channel axis."""
    offset = 0
    for space, count in segments:
        yield space, offset
        offset += count


def _leaks(graph: Graph) -> dict[str, str | None]:
    """For each layer, the layer that would give a removed (zeroed) channel a value in its output,
    or None: an activation or layer not zero at zero, carried on by the layers after it, stopped
    by a producer (whose removed units are zero) and by a gate whose other input is zero there."""
    leaks: dict[str, str | None] = {}
    for node in graph.nodes:
        layer = LAYER_TYPES[node.op]
        own = node.name if (node.config.get("activation") in NOT_ZERO_AT_ZERO
                            or node.inputs and not layer.zero_at_zero(node)) else None
        inherited = [leaks[source] for source in node.inputs]
        if layer.channel_rule == "creates" or not inherited:
            leaks[node.name] = own
        elif layer.channel_rule == "gates":
            leaks[node.name] = own or (None if None in inherited else inherited[0])
        else:
            leaks[node.name] = own or next((leak for leak in inherited if leak), None)
    return leaks


def _blockers(graph: Graph, layout: dict, flattened_norms: list[str]) -> dict[str, set[str]]:
    """Per channel space, the layers that keep its group whole: each leak
    (:func:`_leaks`) that a layer reads other than a gate it does not pass, and each batch norm
    after a Flatten."""
    leaks, readers, blockers = _leaks(graph), graph.consumers(), {}
    for node in graph.nodes:
        origin = leaks[node.name]
        passed_on = any(not (LAYER_TYPES[graph.node(reader).op].channel_rule == "gates" and leaks[reader] is None)
                        for reader in readers[node.name])
        for space, _ in layout[node.name] if origin and (passed_on or node.name == graph.output) else ():
            blockers.setdefault(space, set()).add(origin)
        for space, _ in layout[node.inputs[0]] if node.name in flattened_norms else ():
            blockers.setdefault(space, set()).add(node.name)
    return blockers


def pruned_groups(graph: Graph) -> list[tuple[Group, list[str]]]:
    """The groups pruning can remove channels of, each with its trainable producers (the pruned
    layers whose filters are its channels): prunable groups with at least one. A frozen producer
    (an option-A shortcut) goes with them but is never scored."""
    trainable = set(graph.prunable())
    found = []
    for group in graph.groups:
        producers = [name for name in group.producers if name in trainable]
        if group.prunable and producers:
            found.append((group, producers))
    return found


def input_rows(consumer_kernel: np.ndarray, positions: int, channels: int, keep: np.ndarray) -> np.ndarray:
    """A consumer's kernel without the inputs of removed channels (``keep``: one bool per channel)."""
    if consumer_kernel.ndim == 4:
        return consumer_kernel[:, :, keep, :]
    grouped = consumer_kernel.reshape(positions, channels, consumer_kernel.shape[-1])[:, keep, :]
    return grouped.reshape(-1, consumer_kernel.shape[-1])
