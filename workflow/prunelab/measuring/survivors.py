"""What survives pruning, layer by layer: the distributions the report draws as k grows."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from ..methods.selection import unit_norms
from ..models.network import Network


@dataclass(frozen=True)
class Survivors:
    """Per k, per pruned layer: L2 norms of the remaining units for methods that remove units,
    |w| of the remaining weights otherwise; the same of the trained model (``unpruned``); and
    each layer's size in those terms."""

    by_unit: bool
    sizes: list[int]
    unpruned: list[np.ndarray]
    scores: dict[float, list[np.ndarray]]


def _surviving(pruned: Network, layers: list[int], by_unit: bool) -> list[np.ndarray]:
    scores = []
    for index in layers:
        values = unit_norms(pruned.kernels[index]) if by_unit else np.abs(pruned.kernels[index]).ravel()
        scores.append(values[values > 0])
    return scores


def survivors(network: Network, layers: list[int], pruned: dict[float, Network], by_unit: bool) -> Survivors:
    """What survives in each of one method's ``pruned`` models of ``network`` (by k, in the
    pruned model's own weights, which some methods change), and in ``network`` itself; unit
    norms where the method removes units (``by_unit``), |w| otherwise."""
    sizes = [network.kernels[i].shape[-1] if by_unit else network.kernels[i].size for i in layers]
    scores = {k: _surviving(pruned[k], layers, by_unit) for k in sorted(pruned)}
    return Survivors(by_unit, sizes, _surviving(network, layers, by_unit), scores)
