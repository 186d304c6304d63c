"""``unit_refit``: structured pruning without retraining that gives a really smaller network.

Units are chosen exactly as ``unit`` chooses them (per layer, the output units of smallest L2
norm of the trained kernel; the removed units' biases zeroed); then the following layer's
kernel (and bias, where the model has biases) is refitted by ridge least squares, damped by
1 % of the Gram matrix's mean diagonal, so that the pruned network reproduces the unpruned
network's pre-activations of that layer on the calibration images — the reconstruction step
of He et al. 2017 ("Channel Pruning for Accelerating Very Deep Neural Networks") and Luo et
al. 2017 (ThiNet). Conv layers through their im2col patches, after pooling. Layers go in
order, each refit on inputs through the layers already pruned and refitted. The output layer
is refitted, not pruned, unless the layer selection prunes it. Compaction then removes the
pruned units for real.
"""

from __future__ import annotations

import math

import numpy as np

from ..models.calibration import LayerInputs
from ..models.network import Network, kernel_shapes
from .method import Method
from .pruning import apply_masks
from ..models.graph_network import GRAPH_TYPES
from .scope import layer_indices, layer_kinds
from .selection import count_to_prune, smallest_units_mask

DAMPING = 0.01
"""Fraction of the Gram matrix's mean diagonal added to its diagonal."""


def refit_layer(pruned: Network, trained: Network, index: int,
                images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Layer ``index``'s kernel (and bias) that best reproduce, from its inputs through
    ``pruned``, the pre-activations ``trained`` gives it: min ‖[X 1]Θ − Y‖² + λ‖Θ‖², λ 1 % of
    the Gram matrix's mean diagonal, X and Y accumulated over batches of images."""
    shape, with_bias = trained.kernels[index].shape, trained.biases is not None
    target = trained.kernels[index].reshape(-1, shape[-1]).astype(np.float64)
    size = target.shape[0] + with_bias
    gram, cross = np.zeros((size, size)), np.zeros((size, shape[-1]))
    for rows, original in zip(LayerInputs(pruned, index, images).batches(),
                              LayerInputs(trained, index, images).batches()):
        x = rows.astype(np.float64)
        y = original.astype(np.float64) @ target
        if with_bias:
            x = np.hstack([x, np.ones((len(x), 1))])
            y += trained.biases[index]
        gram += x.T @ x
        cross += x.T @ y
    gram[np.diag_indices_from(gram)] += DAMPING * np.mean(np.diag(gram))
    solution = np.linalg.solve(gram, cross)
    kernel = solution[:target.shape[0]].reshape(shape).astype(trained.kernels[index].dtype)
    return kernel, solution[-1].astype(trained.biases[index].dtype) if with_bias else None


def unit_refit_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, network: Network, layers: list[int],
                     calibration: np.ndarray) -> tuple[list[np.ndarray], Network]:
    """``unit``'s masks, layer by layer, each followed by the refit of the next layer."""
    current, masks = network, []
    for index, kernel in zip(layers, weights):
        keep = smallest_units_mask(kernel, k)
        current = apply_masks(current, [keep if i == index else None for i in range(network.num_layers)],
                              unit_level=True)
        following = index + 1
        if following < network.num_layers:
            kernels, biases = list(current.kernels), None if current.biases is None else list(current.biases)
            kernels[following], bias = refit_layer(current, network, following, calibration)
            if biases is not None:
                biases[following] = bias
            current = current.with_weights(kernels, biases)
        masks.append(keep)
    return masks, current


def emptying_problems(config: dict) -> list[str]:
    """A k at which a pruned layer would lose every unit leaves nothing to refit from."""
    problems = []
    for model in config["models"]:
        architecture = config["architectures"][model]
        shapes = kernel_shapes(architecture)
        if architecture["type"] in GRAPH_TYPES:
            continue  # unit_refit prunes chains only; the config check says so
        for index in layer_indices(layer_kinds(architecture), config["pruning"]["layers"]):
            units = shapes[index][-1]
            emptying = [k for k in config["pruning"]["k"] if count_to_prune(k, units) >= units]
            if emptying:
                problems.append(f"pruning.k: {emptying} would remove all {units} units of layer {index} of model "
                                f"{model!r}, leaving unit_refit nothing to refit from; use k below "
                                f"{math.floor((units - 0.5) / units * 1000) / 1000:g} or other pruning.layers")
    return problems


METHODS = (Method("unit_refit", "without retraining: unit's neurons or filters, the next layer refitted by "
                  "least squares on calibration images", masks=unit_refit_masks, removes_units=True,
                  check=emptying_problems, color="#637939",
                  chain_only="it refits the layer after a pruned one by least squares, and in a graph model what "
                             "follows a pruned layer is a batch norm or a residual sum, not a layer it can refit",
                  paper="He et al. 2017, Channel Pruning for Accelerating Very Deep Neural Networks; "
                        "Luo et al. 2017, ThiNet"),)
