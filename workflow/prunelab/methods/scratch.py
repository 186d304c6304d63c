"""``scratch``: Liu et al. (2019)'s control for structured pruning: the architecture that
``unit`` pruning leaves at k, trained from scratch like the dense model."""

import logging

import numpy as np

from ..models.network import Network
from ..plumbing.paths import SCOPED, pruning_k
from .method import Control, Method, Trained


def train_scratch(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  trained: Network, k: float, layers: list[int]) -> tuple[Network, list, list[dict]]:
    """The compacted architecture that unit pruning of ``trained`` leaves at ``k`` (in a graph
    model, by channel groups), trained from scratch like the dense model; returned in the dense
    model's shapes (removed units as zeros) so its counts compare with every other method's."""
    from ..measuring.compaction import compact, embed
    from ..models.training import fit
    from .pruning import prune
    from .unit import METHODS as UNIT

    architecture = compact(prune(trained, UNIT[0], k, layers)[0]).narrowed_architecture()
    log.info("training the architecture unit pruning leaves at k=%g from scratch: %s", k, architecture)
    small, history = fit(images, labels, spec={**spec, "architecture": architecture}, seed=seed, log=log,
                         epochs=spec["epochs"], learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])
    network, blocks = embed(small, trained)
    return network, [blocks[i] if i in layers else None for i in range(network.num_layers)], history


def train(job) -> Trained:
    images, labels = job.split("train")
    network, masks, history = train_scratch(images, labels, **job.fit_arguments, trained=job.network, k=job.k,
                                            layers=job.layers)
    return Trained(network, masks, history, job.k)


METHODS = (Method("scratch", "the architecture unit pruning leaves, trained from scratch (the control)",
                  runs="from_scratch", removes_units=True, train=train, rule="scratch",
                  result=lambda config: f"results/scratch/{SCOPED}/k{{k}}",
                  targets=lambda config, settings: [{"k": k} for k in pruning_k(config)], color="#aec7e8",
                  control=Control("unit", "the same architecture by unit pruning", retraining="best"),
                  paper="Liu et al. 2019, Rethinking the Value of Network Pruning"),)
