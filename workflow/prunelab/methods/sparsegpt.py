"""``sparsegpt``: SparseGPT (Frantar & Alistarh 2023), one-shot pruning with the Optimal Brain
Surgeon update of the remaining weights, without retraining.

Per layer, on the calibration inputs X (its Hessian of the layer's squared reconstruction
error being H = XᵀX, dampened by 1 % of its mean diagonal): inputs are processed in order,
in blocks of ``pruning.sparsegpt.block``; in each block the weights of smallest w²/[H⁻¹]²_jj
are chosen (adaptive mask selection), then after each input the remaining weights of the
inputs after it absorb the error its pruned weights leave (H⁻¹ through the upper Cholesky
factor of H⁻¹, as the paper's Algorithm 1). The paper's weight matrix is (outputs, inputs);
a Keras kernel is (inputs, outputs), so the paper's column j is a kernel's row j here. Inputs
that are always zero get H_jj = 1 and their weights are zeroed, as the paper's code does: they go
first, and where a block holds more of them than its share, the extra ones stay kept but zero, so
the measured sparsity can exceed k (0.506 at k = 0.5 on digits, whose border pixels are always
dark). Layers are pruned in order, each one's inputs through those already pruned.
"""

from __future__ import annotations

import numpy as np

from ..models.calibration import LayerInputs
from ..models.network import Network
from .method import Method
from .pattern import n_of_m_mask
from .selection import count_to_prune, keep_all_but, smallest

PAPER = "Frantar & Alistarh 2023, SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot"
DAMPING = 0.01
"""Fraction of H's mean diagonal added to its diagonal (the paper's percdamp)."""


def inverse_hessian_factor(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU) for H = XᵀX dampened, and which inputs
    are dead (always zero: H_jj = 0, set to 1)."""
    hessian = np.array(gram, dtype=np.float64)
    dead = np.diag(hessian) == 0
    hessian[dead, dead] = 1.0
    hessian[np.diag_indices_from(hessian)] += DAMPING * np.mean(np.diag(hessian))
    return np.linalg.cholesky(np.linalg.inv(hessian)).T, dead


def sparsegpt_layer(kernel: np.ndarray, gram: np.ndarray, k: float, block: int,
                    pattern: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Prune one kernel: the new kernel (zeros where pruned, the rest updated) and its keep-mask.
    Unstructured, each block of rows loses its share of exactly ``round(k * n)`` weights (the
    counts of blocks 1..b sum to round(k · their size)); with ``pattern`` (n, m), n of every m
    consecutive rows of each unit are kept, chosen when the first of them is reached."""
    weights = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)
    fan_in, units = weights.shape
    factor, dead = inverse_hessian_factor(gram)
    weights[dead] = 0.0
    pruned = np.zeros(weights.shape, dtype=bool)
    for start in range(0, fan_in, block):
        end = min(start + block, fan_in)
        rows, inverse = weights[start:end].copy(), factor[start:end, start:end]
        diagonal = np.diag(inverse)[:, None]
        errors, kept = np.zeros_like(rows), np.zeros_like(rows)
        if pattern is None:
            count = count_to_prune(k, end * units) - count_to_prune(k, start * units)
            scores = (rows ** 2 / diagonal ** 2).ravel()
            pruned[start:end] = ~keep_all_but(scores.size, smallest(scores, count)).reshape(rows.shape)
        for row in range(end - start):
            if pattern is not None and row % pattern[1] == 0:
                group = slice(row, row + pattern[1])
                pruned[start:end][group] = ~n_of_m_mask(rows[group] ** 2 / diagonal[group] ** 2, *pattern)
            kept[row] = np.where(pruned[start + row], 0.0, rows[row])
            errors[row] = (rows[row] - kept[row]) / inverse[row, row]
            rows[row:] -= np.outer(inverse[row, row:], errors[row])
        weights[start:end] = kept
        weights[end:] -= factor[start:end, end:].T @ errors
    return weights.reshape(kernel.shape).astype(kernel.dtype), ~pruned.reshape(kernel.shape)


def sparsegpt_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, inputs: list[LayerInputs],
                    network: Network, layers: list[int], settings: dict,
                    pattern: tuple[int, int] | None = None) -> tuple[list[np.ndarray], Network]:
    """Remove exactly ``round(k * n)`` weights of the layer (or keep ``pattern``'s n of every m),
    updating the rest (Algorithm 1): its mask, and the network with the layer's new weights."""
    (kernel,), (layer_inputs,), (index,) = weights, inputs, layers
    new_kernel, keep = sparsegpt_layer(kernel, layer_inputs.gram(), k, settings["block"], pattern)
    kernels = list(network.kernels)
    kernels[index] = new_kernel
    return [keep], network.with_weights(kernels)


METHODS = (Method("sparsegpt", "without retraining: Optimal Brain Surgeon pruning on calibration images, "
                  "the remaining weights updated", masks=sparsegpt_masks, settings_key="sparsegpt",
                  color="#843c39", paper=PAPER),)
