"""``lottery`` and its control ``lottery_reinit``: Frankle & Carbin (2019)'s lottery tickets.

Each round prunes a fraction of the remaining weights by magnitude, rewinds the survivors to
their values early in the dense training and retrains them as the dense model was trained;
the control trains the same masks from fresh random values. Both are one experiment of one
paper, so they live in one module.
"""

from __future__ import annotations

import logging

import numpy as np

from ..models.network import Network
from ..plumbing.paths import SCOPED, format_number
from .method import RESULT_FILES, Control, Method, Trained
from .selection import count_to_prune, exact_fraction, keep_all_but, smallest


def lottery_masks(network: Network, previous: list[np.ndarray | None] | None, *, layers: list[int],
                  rate: float, output_rate: float) -> list[np.ndarray | None]:
    """One round of iterative magnitude pruning (Frankle & Carbin): in each pruned layer,
    remove ``round(rate * remaining)`` of the remaining weights, smallest |w| first; the
    output layer, pruned or not by ``layers``, goes at ``output_rate`` (the paper's half rate;
    0 keeps it). A weight removed in an earlier round stays removed."""
    output = network.num_layers - 1
    rates = {index: rate for index in layers if index != output}
    if output_rate > 0:
        rates[output] = output_rate
    masks = list(previous) if previous is not None else [None] * network.num_layers
    for index, layer_rate in rates.items():
        kernel = network.kernels[index]
        remaining = masks[index] if masks[index] is not None else np.ones(kernel.shape, dtype=bool)
        # removed weights score -1, below every |w|, so they go first; then the smallest survivors
        scores = np.where(remaining, np.abs(kernel).astype(np.float64), -1.0).ravel()
        count = (~remaining).sum() + count_to_prune(layer_rate, int(remaining.sum()))
        masks[index] = keep_all_but(scores.size, smallest(scores, int(count))).reshape(kernel.shape)
    return masks


def lottery_k(rate: float, round_number: int) -> float:
    """The fraction of each pruned layer removed after ``round_number`` rounds: 1 - (1 - rate)^r."""
    return float(1 - (1 - exact_fraction(rate)) ** round_number)


def reinit_seed(seed: int, round_number: int) -> int:
    """The seed of the fresh initial values of ``lottery_reinit`` in a round (not the model's own)."""
    return int(np.random.SeedSequence([seed, round_number, 1]).generate_state(1)[0])


def result_id(settings: dict) -> str:
    """'p0.2-out0.1-rw0': rate per round, the output layer's rate, and the rewind step."""
    return f"p{format_number(settings['rate'])}-out{format_number(settings['output_rate'])}-rw{settings['rewind']}"


def round_folder(config: dict) -> str:
    return f"results/lottery/{SCOPED}/{result_id(config['pruning']['lottery'])}/round{{round}}"


def lottery_rounds(config: dict, settings: dict) -> list[dict]:
    return [{"round": str(number)} for number in range(1, settings["rounds"] + 1)]


def previous_round(wildcards: dict, config: dict) -> dict:
    """Round r reads round r - 1 (round 1: the trained model)."""
    if wildcards["round"] == "1":
        return {}
    previous = round_folder(config).format(**dict(wildcards, round=int(wildcards["round"]) - 1))
    return {"previous_weights": f"{previous}/weights.npz", "previous_masks": f"{previous}/masks.npz"}


def this_round(wildcards: dict, config: dict) -> dict:
    """The control reads the masks of its round of lottery tickets."""
    return {"masks": f"{round_folder(config).format(**wildcards)}/masks.npz"}


def rewind_problems(config: dict) -> list[str]:
    from ..models.training import steps_per_epoch
    from ..plumbing.config import dataset_summary

    training, rewind = config["training"], config["pruning"]["lottery"]["rewind"]
    summaries = [dataset_summary(config, dataset) for dataset in config["datasets"]]
    known = [data.train_images - training["validation_size"] for data in summaries if data is not None]
    if not known:
        return []  # downloads: their sizes are known once fetched
    total_steps = training["epochs"] * steps_per_epoch(training["train_size"] or min(known), training["batch_size"])
    if rewind <= total_steps:
        return []
    return [f"pruning.lottery.rewind: step {rewind} is beyond the training's {total_steps} steps"]


def rewind_point(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                 steps: int) -> Network:
    """The weights the dense training of ``spec`` had after ``steps`` steps (0: its
    initialization), replayed exactly: same seed, same data order."""
    from ..models.training import fit, initial_network

    if steps == 0:
        return initial_network(spec, seed, images, labels)
    log.info("replaying the first %d training steps to the rewind point", steps)
    network, _ = fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
                     learning_rate=spec["learning_rate"], batch_size=spec["batch_size"], stop_after_steps=steps)
    return network


def lottery_round(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  trained: Network, previous_masks: list | None, rewind: Network, layers: list[int], rate: float,
                  output_rate: float) -> tuple[Network, list, list[dict]]:
    """One round: prune ``trained`` (the previous round's result, or the dense model) by
    :func:`lottery_masks`, rewind the survivors to ``rewind``'s values and retrain them as the
    dense model was trained."""
    from ..models.masked_training import train_with_masks

    masks = lottery_masks(trained, previous_masks, layers=layers, rate=rate, output_rate=output_rate)
    network, history = train_with_masks(images, labels, spec=spec, seed=seed, log=log, start=rewind, masks=masks)
    return network, masks, history


def train_round(job) -> Trained:
    """Round r of the job's wildcards, from round r - 1's network and masks (round 1: the trained model)."""
    from ..plumbing.jobs import load_masks

    number, settings = int(job.wildcards.round), job.settings
    images, labels = job.split("train")
    previous, previous_masks = job.network, None
    if number > 1:
        previous = Network.load(job.input.previous_weights, job.spec["architecture"])
        previous_masks = load_masks(job.input.previous_masks, previous.num_layers)
    rewind = rewind_point(images, labels, **job.fit_arguments, steps=settings["rewind"])
    network, masks, history = lottery_round(images, labels, **job.fit_arguments, trained=previous,
                                            previous_masks=previous_masks, rewind=rewind, layers=job.layers,
                                            rate=settings["rate"], output_rate=settings["output_rate"])
    return Trained(network, masks, history, lottery_k(settings["rate"], number),
                   details={"round": number, "lottery": settings})


def train_reinit(job) -> Trained:
    """One round's masks trained from fresh random initial values (seeded per round)."""
    from ..models.masked_training import train_with_masks
    from ..models.training import initial_network
    from ..plumbing.jobs import load_masks

    number, settings = int(job.wildcards.round), job.settings
    images, labels = job.split("train")
    masks = load_masks(job.input.masks, job.network.num_layers)
    seed = reinit_seed(job.seed, number)
    network, history = train_with_masks(images, labels, **job.fit_arguments, start=initial_network(job.spec, seed, images, labels),
                                        masks=masks)
    return Trained(network, masks, history, lottery_k(settings["rate"], number),
                   details={"round": number, "lottery": settings, "initial_seed": seed})


METHODS = (
    Method("lottery", "lottery tickets: iterative magnitude pruning, survivors rewound and retrained",
           runs="in_rounds", settings_key="lottery", check=rewind_problems, train=train_round, rule="lottery",
           result=round_folder, targets=lottery_rounds, rule_inputs=previous_round,
           result_files=(*RESULT_FILES, "masks"),
           color="#8c564b", control=Control("lottery_reinit", "the same masks from fresh random values"),
           paper="Frankle & Carbin 2019, The Lottery Ticket Hypothesis"),
    Method("lottery_reinit", "the lottery tickets' masks with fresh random initial values (the control)",
           runs="from_scratch", settings_key="lottery", check=rewind_problems, train=train_reinit,
           rule="lottery_reinit", result=lambda config: f"{round_folder(config)}/reinit", targets=lottery_rounds,
           rule_inputs=this_round, color="#c49c94",
           paper="Frankle & Carbin 2019 (the random re-initialization control)"),
)
