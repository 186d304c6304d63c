"""``synflow``: SynFlow (Tanaka et al. 2020), at initialization and data-free: iterative
synaptic-flow scores, then trained."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..models.gradients import kernel_gradients
from ..models.network import Network
from . import at_init
from .selection import count_to_prune, exact_fraction, smallest


def synflow_gradients(network: Network) -> list[np.ndarray]:
    """∂R/∂W of SynFlow's synaptic flow R = 1ᵀ(∏|W|)1: every parameter replaced by its
    absolute value, one all-ones input image, R the sum of the logits."""
    absolute = network.absolute()
    input_shape = (1, *network.input_shape)
    return kernel_gradients(absolute, np.ones(input_shape), np.ones_like)


def synflow_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, network: Network, layers: list[int],
                  settings: dict) -> list[np.ndarray]:
    """SynFlow (Tanaka et al. 2020): data-free, iterative. Each of ``settings["rounds"]``
    scoring rounds scores every remaining weight by |∂R/∂w · w|, R the sum of the outputs of
    the network with all parameters replaced by their absolute values on an all-ones input,
    and removes the lowest scores over all pruned layers together; the kept fraction shrinks
    exponentially, to (1 - k)^(r / rounds) after round r, so no layer is emptied early (no
    layer collapse)."""
    scoring_rounds = settings["rounds"]
    absolute = network.absolute()
    absolute = absolute.with_weights([kernel.astype(np.float64) for kernel in absolute.kernels])
    sizes = [absolute.kernels[i].size for i in layers]
    alive = np.ones(sum(sizes), dtype=bool)
    density, ends = 1 - exact_fraction(k), np.cumsum(sizes)[:-1]
    for number in range(1, scoring_rounds + 1):
        kernels = list(absolute.kernels)
        for index, keep in zip(layers, np.split(alive, ends)):
            kernels[index] = kernels[index] * keep.reshape(kernels[index].shape)
        gradients = synflow_gradients(absolute.with_weights(kernels))
        scores = np.concatenate([(gradients[i] * kernels[i]).ravel() for i in layers])
        last = number == scoring_rounds
        target = exact_fraction(k) if last else 1 - Fraction(float(density) ** (number / scoring_rounds))
        survivors = np.flatnonzero(alive)
        removed = count_to_prune(target, alive.size) - (alive.size - survivors.size)
        alive[survivors[smallest(scores[survivors], removed)]] = False
    return [keep.reshape(w.shape) for keep, w in zip(np.split(alive, ends), weights)]


METHODS = (at_init.method("synflow", "at initialization, data-free iterative synaptic flow, then trained",
                          synflow_masks, result_id=lambda settings: f"r{settings['rounds']}", settings_key="synflow",
                          color="#dbdb8d", paper="Tanaka et al. 2020, Pruning neural networks without any data by "
                          "iteratively conserving synaptic flow"),)
