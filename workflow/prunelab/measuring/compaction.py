"""Physical removal of dead units: the pruned model made really smaller.

A hidden unit whose incoming weights are all zero outputs a constant (ReLU of its
bias); one whose outgoing weights are all zero affects nothing. Both are removed
with the matching inputs of the next layer (rows of a dense kernel, input channels
of a conv kernel, or the flattened positions of a channel); a constant unit's
contribution is first folded into the next layer's bias, so the compacted network
computes the same function. Removing units can expose more, so this repeats until
nothing changes. Output units and input pixels are never removed.
"""

from __future__ import annotations

import numpy as np

from ..models.graph_network import GraphNetwork
from ..models.network import Network
from .channel_compaction import compact_channels, widen


def _next_inputs(next_kernel: np.ndarray, units: int) -> np.ndarray:
    """The next layer's weights grouped by which of this layer's units feeds them:
    shape (units, positions, outputs) for conv or (flattened) dense next layers."""
    if next_kernel.ndim == 4:  # conv -> conv: the input-channel axis
        kh, kw, _, out = next_kernel.shape
        return np.moveaxis(next_kernel, 2, 0).reshape(units, kh * kw, out)
    # dense -> dense (one position), or conv -> flatten -> dense (NHWC order: channel fastest)
    return next_kernel.reshape(-1, units, next_kernel.shape[-1]).transpose(1, 0, 2)


def _drop_inputs(next_kernel: np.ndarray, units: int, keep: np.ndarray) -> np.ndarray:
    if next_kernel.ndim == 4:
        return next_kernel[:, :, keep, :]
    grouped = next_kernel.reshape(-1, units, next_kernel.shape[-1])[:, keep, :]
    return grouped.reshape(-1, next_kernel.shape[-1])


def _architecture_after(architecture: dict, kernels: list[np.ndarray]) -> dict:
    """The architecture with each hidden layer's width taken from its compacted kernel."""
    widths = [k.shape[-1] for k in kernels[:-1]]
    conv = len(architecture.get("conv", []))
    updated = {**architecture, "hidden": widths[conv:]}
    if conv:
        updated["conv"] = widths[:conv]
    return updated


def compact(network: Network | GraphNetwork) -> Network | GraphNetwork:
    """The smallest network computing the same outputs: dead hidden units removed (a graph
    model's channels that change nothing, by the same rule:
    :func:`prunelab.measuring.channel_compaction.compact_channels`)."""
    if isinstance(network, GraphNetwork):
        return network.with_all_weights(compact_channels(network.graph, network.weights))
    kernels = list(network.kernels)
    biases = list(network.biases) if network.biases is not None else None
    changed = True
    while changed:
        changed = False
        for index in range(len(kernels) - 1):
            kernel, units = kernels[index], kernels[index].shape[-1]
            silent = ~kernel.reshape(-1, units).any(axis=0)
            useless = ~_next_inputs(kernels[index + 1], units).any(axis=(1, 2))
            removable = silent | useless
            if removable.all():
                removable[np.argmax(~useless) if (~useless).any() else 0] = False  # keep a layer at least 1 wide
            if not removable.any():
                continue
            if biases is not None:
                # a removed silent unit outputs ReLU(bias); a removed useless one feeds zeros
                constant = np.maximum(biases[index], 0) * removable
                contribution = np.einsum("u,upo->o", constant, _next_inputs(kernels[index + 1], units))
                biases[index + 1] = (biases[index + 1] + contribution).astype(biases[index + 1].dtype)
                biases[index] = biases[index][~removable]
            kernels[index] = kernel[..., ~removable]
            kernels[index + 1] = _drop_inputs(kernels[index + 1], units, ~removable)
            changed = True
    return Network(_architecture_after(network.architecture, kernels), kernels, biases)


def embed(small: Network | GraphNetwork, full: Network | GraphNetwork) -> tuple[Network | GraphNetwork,
                                                                              list[np.ndarray]]:
    """``small`` (a narrower network of ``full``'s kind, e.g. trained from scratch) placed in
    ``full``'s shapes: its units first in every layer, zeros for the missing units and their
    inputs (a graph model's: :func:`prunelab.measuring.channel_compaction.widen`). It computes the
    same function, and counts (non-zeros, FLOPs, bytes) compare with pruned versions of ``full``.
    Also returns each layer's mask of the occupied block."""
    if isinstance(full, GraphNetwork):
        weights, filled = widen(full.graph, small.weights, full.weights)
        return full.with_all_weights(weights), [filled[name]["kernel"] for name in full.layer_names]
    kernels, masks, channels = [], [], 1
    for index, (kernel, target) in enumerate(zip(small.kernels, full.kernels)):
        block = np.zeros(target.shape, dtype=bool)
        if kernel.ndim == 4:
            block[:, :, : kernel.shape[2], : kernel.shape[3]] = True
        elif index and small.kernels[index - 1].ndim == 4:  # flattened NHWC: channels fastest
            positions = target.shape[0] // full.kernels[index - 1].shape[-1]
            grid = block.reshape(positions, -1, target.shape[1])
            grid[:, :channels, : kernel.shape[1]] = True
        else:
            block[: kernel.shape[0], : kernel.shape[1]] = True
        placed = np.zeros(target.shape, dtype=kernel.dtype)
        placed[block] = kernel.ravel()  # the block's entries in row-major order are the kernel's
        kernels.append(placed)
        masks.append(block)
        channels = kernel.shape[-1]
    biases = None
    if small.biases is not None:
        biases = [np.concatenate([b, np.zeros(t.shape[-1] - b.size, b.dtype)]) for b, t in zip(small.biases, full.kernels)]
    return full.with_weights(kernels, biases), masks

