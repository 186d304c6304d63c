"""Pruning at initialization, one way of running (SNIP, SynFlow, and a researcher's own method
with ``runs: at_init``): score the network the dense training starts from, prune it to k,
then train it with the mask fixed, as the dense model was trained."""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from ..models.network import Network
from ..plumbing.paths import SCOPED, pruning_k
from .method import Method, Trained
from .pruning import PruningData, prune
from .selection import MaskFunction

RULE = "prune_at_init"


def result(config: dict) -> str:
    return f"results/at_init/{SCOPED}/{{method}}/k{{k}}/{{at_init_id}}"


def samples_id(settings: dict) -> str:
    """'n100': the training images its gradients are taken on."""
    return f"n{settings['samples']}"


def train_at_init(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  method: Method, k: float, layers: list[int], data: PruningData) -> tuple[Network, list, list[dict]]:
    """Score the network the dense training of ``spec`` starts from, prune it to ``k``, then
    train it with the mask fixed."""
    from ..models.masked_training import train_with_masks
    from ..models.training import initial_network

    init = initial_network(spec, seed, images, labels)
    started = time.perf_counter()
    _, masks = prune(init, method, k, layers, seed, data)
    log.info("%s mask at k=%g in %.2fs", method.name, k, time.perf_counter() - started)
    network, history = train_with_masks(images, labels, spec=spec, seed=seed, log=log, start=init, masks=masks)
    return network, masks, history


def train(job) -> Trained:
    images, labels = job.split("train")
    network, masks, history = train_at_init(images, labels, **job.fit_arguments, method=job.method, k=job.k,
                                            layers=job.layers, data=job.pruning_data(images, labels))
    return Trained(network, masks, history, job.k, details={"settings": job.settings})


def method(name: str, summary: str, masks: MaskFunction, *, result_id: Callable[[dict], str], **details) -> Method:
    """A method that runs at initialization; ``result_id(settings)`` names its settings in its
    results' path ('n100': SNIP's batch, 'r100': SynFlow's rounds)."""

    def targets(config: dict, settings: dict) -> list[dict]:
        return [{"method": name, "k": k, "at_init_id": result_id(settings)} for k in pruning_k(config)]

    return Method(name, summary, masks=masks, runs="at_init", train=train, rule=RULE, result=result,
                  targets=targets, **details)
