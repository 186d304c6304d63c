"""The ``groups`` a channel method asks for, and the masks its choice of channels gives.

A method that names ``groups`` among its needs (:mod:`prunelab.methods.needs`) chooses channels,
not weights: it gets one :class:`ChannelGroup` per set of channels that go together among the
pruned layers and returns, per group, which channels stay. The groups are the model's
dependency groups (:mod:`prunelab.models.dependency`, computed once per graph): in an MLP or a
plain CNN each pruned layer's own units. The masks then remove a dropped channel
from every producer of its group, and the job zeroes its biases and batch norms with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dependency import pruned_groups
from .network import Network


@dataclass(frozen=True)
class ChannelGroup:
    """Channels kept or removed together, at the same positions: ``channels`` of them, the output
    units of the pruned layers ``producers`` (positions in the mask function's ``weights``; an
    attention's head is several units of each, side by side: a producer's units divided by
    ``channels``), normalized by the batch norms ``normalizers`` (each its per-channel arrays by
    name: gamma, beta, moving_mean, moving_variance, those the layer has; none in an MLP)."""

    channels: int
    producers: tuple[int, ...]
    normalizers: tuple[dict, ...] = ()


def channel_groups(network: Network, layers: list[int]) -> list[ChannelGroup]:
    """The groups among the pruned ``layers``: each dependency group whose trainable producers
    are all pruned layers (a group reaching a layer that is not pruned stays whole)."""
    position = {network.layer_names[index]: place for place, index in enumerate(layers)}
    def normalizer(group, name: str) -> dict:  # the group's channels of a batch norm (which may hold several)
        return {variable: array[group.entries(name)] for variable, array in network.weights[name].items()}

    return [ChannelGroup(group.channels, tuple(position[name] for name in producers),
                         tuple(normalizer(group, name) for name in group.normalizers))
            for group, producers in pruned_groups(network.graph) if set(producers) <= position.keys()]


def group_masks(method: str, groups: list[ChannelGroup], kept, weights: list[np.ndarray]) -> list[np.ndarray]:
    """One mask per kernel from a channel method's answer ``kept`` (per group, a boolean array of
    its channels: True stays): a removed channel's whole columns in every producer; kernels of no
    group keep everything."""
    if not isinstance(kept, (list, tuple)) or len(kept) != len(groups):
        raise ValueError(f"method {method!r} asks for groups: it must return one boolean array per group "
                         f"({len(groups)}), got {type(kept).__name__} of length "
                         f"{len(kept) if hasattr(kept, '__len__') else '?'}")
    masks = [np.ones(kernel.shape, dtype=bool) for kernel in weights]
    for index, (group, keep) in enumerate(zip(groups, kept)):
        if not isinstance(keep, np.ndarray) or keep.dtype != bool or keep.shape != (group.channels,):
            raise ValueError(f"method {method!r}: group {index}'s answer must be a boolean array of shape "
                             f"({group.channels},), got {getattr(keep, 'dtype', type(keep).__name__)} "
                             f"{getattr(keep, 'shape', '')}")
        for producer in group.producers:
            units = np.repeat(keep, weights[producer].shape[-1] // group.channels)
            masks[producer] = np.broadcast_to(units, weights[producer].shape).copy()
    return masks
