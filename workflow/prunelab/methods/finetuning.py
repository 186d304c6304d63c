"""Fine-tuning one-shot pruning: prune, then retrain with the masks fixed, in one or several
prune-retrain rounds (Han et al. 2015's iterative pruning)."""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import numpy as np

from ..models.network import Network
from .method import Method
from .pruning import PruningData, prune
from .selection import exact_fraction


def round_schedule(k: float, epochs: int, retrain_rounds: int) -> list[tuple[Fraction, int]]:
    """(target k, epochs) of each prune-retrain round: k rises linearly to ``k`` (k·i/r,
    exactly) and the epochs are split as evenly as possible, earlier rounds taking the remainder."""
    if not 1 <= retrain_rounds <= epochs:
        raise ValueError(f"{retrain_rounds} rounds need between 1 and {epochs} epochs")
    share, remainder = divmod(epochs, retrain_rounds)
    return [(exact_fraction(k) * i / retrain_rounds, share + (i <= remainder)) for i in range(1, retrain_rounds + 1)]


def prune_and_finetune(images: np.ndarray, labels: np.ndarray, *, fit_arguments: dict, network: Network,
                       method: Method, k: float, layers: list[int], settings: dict,
                       data: PruningData | Callable[[], PruningData] = PruningData()
                       ) -> tuple[Network, list, list[dict]]:
    """Prune ``network`` to ``k`` and retrain it with its masks fixed, in ``settings["rounds"]``
    prune-retrain rounds (one round: prune once, then retrain). A weight pruned in one round
    stays pruned in the next. Returns the network, its final masks and the history of
    every round. ``data`` may be a function giving it, called only where a round needs it
    (never at k = 0, the trained model, whose settings are none)."""
    from ..models.masked_training import finetune_model

    masks, history, log = None, [], fit_arguments["log"]
    schedule = round_schedule(k, settings["epochs"], settings["rounds"])
    for number, (round_k, round_epochs) in enumerate(schedule, 1):
        network, round_masks = prune(network, method, round_k, layers, fit_arguments["seed"], data)
        masks = round_masks if masks is None else [
            None if new is None else new & old for new, old in zip(round_masks, masks)]
        log.info("round %d/%d: pruned to k=%g, retraining %d epochs", number, settings["rounds"], round_k,
                 round_epochs)
        network, round_history = finetune_model(images, labels, **fit_arguments, pruned=network, masks=masks,
                                                settings=dict(settings, epochs=round_epochs),
                                                unit_level=method.removes_units)
        history += [{"round": number, **row} for row in round_history]
    return network, masks, history
