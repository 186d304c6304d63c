"""Training with masks held fixed, shared by every method that trains a pruned network
(fine-tuning, pruning at initialization, lottery rounds and their control), all through
:func:`prunelab.models.training.fit`, so they share the dense training's seeding, data split,
data order and epoch selection."""

from __future__ import annotations

import logging

import numpy as np

from .network import Network
from .training import fit


def check_masks_held(network: Network, masks: list) -> None:
    """Every pruned weight is still exactly zero after training."""
    for index, mask in enumerate(masks):
        if mask is not None and np.any(network.kernels[index][~mask]):
            raise AssertionError(f"layer {index}: a pruned weight became non-zero during training")


def finetune_model(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                   pruned: Network, masks: list, settings: dict, unit_level: bool) -> tuple[Network, list[dict]]:
    """Retrain a pruned network with its masks fixed: pruned weights (and, for unit-level
    methods, pruned units' biases) stay exactly zero. Same data split, regularizer and
    epoch selection as the original training; ``settings`` gives epochs, learning rate, batch
    size and, where it is not Adam at a constant rate, the ``protocol``."""
    network, history = fit(images, labels, spec=spec, seed=seed, log=log, epochs=settings["epochs"],
                           learning_rate=settings["learning_rate"], batch_size=settings["batch_size"],
                           protocol=settings.get("protocol", {}), initial=pruned, kernel_masks=masks,
                           bias_masks=pruned.channel_masks() if unit_level else None)
    check_masks_held(network, masks)
    return network, history


def train_with_masks(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                     start: Network, masks: list) -> tuple[Network, list[dict]]:
    """Train from ``start`` with ``masks`` applied and fixed, as the dense model was trained
    (its epochs, learning rate, batch size, data order and epoch selection)."""
    from ..methods.pruning import apply_masks

    network, history = fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
                           learning_rate=spec["learning_rate"], batch_size=spec["batch_size"],
                           initial=apply_masks(start, masks), kernel_masks=masks)
    check_masks_held(network, masks)
    return network, history
