"""Training with masks: every pruning method that trains.

Fine-tuning a pruned network with its masks fixed (in one or several prune-retrain rounds),
gradual pruning during training, lottery-ticket rounds with rewinding, pruning at
initialization and the scratch control, all through :func:`prunelab.training.fit`, so
they share the dense training's seeding, data split, data order and epoch selection.
"""

from __future__ import annotations

import logging
import time
from fractions import Fraction

import numpy as np

from .compaction import compact, embed
from .network import Network
from .plan import steps_per_epoch
from .pruning import (METHODS, PruningInputs, apply_masks, exact_fraction, gradual_schedule, lottery_masks, prune,
                      weight_mask)
from .runtime import import_tensorflow
from .training import fit, initial_network


def finetune_model(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                   pruned: Network, masks: list, settings: dict, unit_level: bool) -> tuple[Network, list[dict]]:
    """Retrain a pruned network with its masks fixed: pruned weights (and, for unit-level
    methods, pruned units' biases) stay exactly zero. Same data split, regularizer and
    epoch selection as the original training; ``settings`` gives epochs, learning rate
    and batch size."""
    network, history = fit(images, labels, spec=spec, seed=seed, log=log, epochs=settings["epochs"],
                            learning_rate=settings["learning_rate"], batch_size=settings["batch_size"],
                            initial=pruned, kernel_masks=masks,
                            bias_masks=_unit_bias_masks(pruned, masks) if unit_level else None)
    _check_masks_held(network, masks)
    return network, history


def _unit_bias_masks(network: Network, masks: list) -> list | None:
    if network.biases is None:
        return None
    return [None if m is None else m.reshape(-1, m.shape[-1]).any(axis=0) for m in masks]


def _check_masks_held(network: Network, masks: list) -> None:
    for index, mask in enumerate(masks):
        if mask is not None and np.any(network.kernels[index][~mask]):
            raise AssertionError(f"layer {index}: a pruned weight became non-zero during training")


def round_schedule(k: float, epochs: int, rounds: int) -> list[tuple[Fraction, int]]:
    """(target k, epochs) of each prune-retrain round: k rises linearly to ``k`` (k·i/r,
    exactly) and the epochs are split as evenly as possible, earlier rounds taking the remainder."""
    if not 1 <= rounds <= epochs:
        raise ValueError(f"{rounds} rounds need between 1 and {epochs} epochs")
    share, remainder = divmod(epochs, rounds)
    return [(exact_fraction(k) * i / rounds, share + (i <= remainder)) for i in range(1, rounds + 1)]


def prune_and_finetune(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                       network: Network, method: str, k: float, layers: list[int], settings: dict,
                       inputs: PruningInputs = PruningInputs()) -> tuple[Network, list, list[dict]]:
    """Prune ``network`` to ``k`` and retrain it with its masks fixed, in ``settings["rounds"]``
    prune-retrain rounds (one round: prune once, then retrain). A weight pruned in one round
    stays pruned in the next. Returns the network, its final masks and the history of
    every round."""
    masks, history = None, []
    for number, (round_k, round_epochs) in enumerate(round_schedule(k, settings["epochs"], settings["rounds"]), 1):
        network, round_masks = prune(network, method, round_k, layers, seed, inputs)
        masks = round_masks if masks is None else [
            None if new is None else new & old for new, old in zip(round_masks, masks)]
        log.info("round %d/%d: pruned to k=%g, retraining %d epochs", number, settings["rounds"], round_k,
                 round_epochs)
        network, round_history = finetune_model(images, labels, spec=spec, seed=seed, log=log, pruned=network,
                                                masks=masks, settings=dict(settings, epochs=round_epochs),
                                                unit_level=METHODS[method].granularity == "unit")
        history += [{"round": number, **row} for row in round_history]
    return network, masks, history


def gradual_prune(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  network: Network, k: float, layers: list[int], settings: dict) -> tuple[Network, list, list[dict]]:
    """Zhu & Gupta's gradual magnitude pruning while training from ``network``: at each step
    of :func:`prunelab.pruning.gradual_schedule` every pruned layer's mask is recomputed from
    its current |w| at that step's sparsity, and pruned weights are held at zero between
    updates. Only epochs that end at the final sparsity can be kept."""
    tf = import_tensorflow(spec["threads"], spec["onednn"])
    keras = tf.keras
    per_epoch = steps_per_epoch(spec, settings["batch_size"])
    schedule = gradual_schedule(k, total_steps=per_epoch * settings["epochs"],
                                initial_sparsity=settings["initial_sparsity"], begin_step=settings["begin_step"],
                                end_step=settings["end_step"], frequency=settings["frequency"],
                                power=settings["power"])
    variables = [keras.Variable(np.ones(kernel.shape, np.float32), trainable=False) if index in layers else None
                 for index, kernel in enumerate(network.kernels)]

    class GradualPruning(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            sparsity = schedule.get(self.epoch * per_epoch + batch)
            if sparsity is None:
                return
            weighted = [layer for layer in self.model.layers if hasattr(layer, "kernel")]
            for index in layers:
                kernel = weighted[index].kernel.numpy()
                keep = weight_mask(kernel, sparsity)
                variables[index].assign(keep.astype(np.float32))
                weighted[index].kernel.assign(np.where(keep, kernel, np.float32(0)))

    log.info("gradual pruning to k=%g: %d mask updates from step %d to %d (%d steps per epoch)", k, len(schedule),
             settings["begin_step"], settings["end_step"], per_epoch)
    trained, history = fit(images, labels, spec=spec, seed=seed, log=log, epochs=settings["epochs"],
                            learning_rate=settings["learning_rate"], batch_size=settings["batch_size"],
                            initial=network, kernel_masks=variables, callbacks=[GradualPruning()],
                            first_eligible_epoch=settings["end_step"] // per_epoch)
    masks = [None if v is None else v.numpy().astype(bool) for v in variables]
    _check_masks_held(trained, masks)
    return trained, masks, history


def rewind_point(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                 steps: int) -> Network:
    """The weights the dense training of ``spec`` had after ``steps`` steps (0: its
    initialization), replayed exactly: same seed, same data order."""
    if steps == 0:
        return initial_network(spec, seed)
    log.info("replaying the first %d training steps to the rewind point", steps)
    network, _ = fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
                      learning_rate=spec["learning_rate"], batch_size=spec["batch_size"], stop_after_steps=steps)
    return network


def lottery_round(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  trained: Network, previous_masks: list | None, rewind: Network, layers: list[int], rate: float,
                  output_rate: float) -> tuple[Network, list, list[dict]]:
    """One round of Frankle & Carbin's iterative magnitude pruning: prune ``trained`` (the
    previous round's result, or the dense model) by :func:`prunelab.pruning.lottery_masks`,
    rewind the survivors to ``rewind``'s values and retrain as the dense model was trained."""
    masks = lottery_masks(trained, previous_masks, layers=layers, rate=rate, output_rate=output_rate)
    return train_with_masks(images, labels, spec=spec, seed=seed, log=log, start=rewind, masks=masks)


def reinit_seed(seed: int, round_number: int) -> int:
    """The seed of the fresh initial values of ``lottery_reinit`` in a round (not the model's own)."""
    return int(np.random.SeedSequence([seed, round_number, 1]).generate_state(1)[0])


def train_with_masks(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                     start: Network, masks: list) -> tuple[Network, list, list[dict]]:
    """Train from ``start`` with ``masks`` applied and fixed, as the dense model was trained
    (its epochs, learning rate, batch size, data order and epoch selection)."""
    network, history = fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
                            learning_rate=spec["learning_rate"], batch_size=spec["batch_size"],
                            initial=apply_masks(start, masks), kernel_masks=masks)
    _check_masks_held(network, masks)
    return network, masks, history


def train_at_init(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  method: str, k: float, layers: list[int], inputs: PruningInputs) -> tuple[Network, list, list[dict]]:
    """Pruning at initialization (SNIP, SynFlow): score the network the dense training starts
    from, prune it to ``k``, then train it with the mask fixed."""
    init = initial_network(spec, seed)
    started = time.perf_counter()
    _, masks = prune(init, method, k, layers, seed, inputs)
    log.info("%s mask at k=%g in %.2fs", method, k, time.perf_counter() - started)
    return train_with_masks(images, labels, spec=spec, seed=seed, log=log, start=init, masks=masks)


def train_scratch(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  trained: Network, k: float, layers: list[int]) -> tuple[Network, list, list[dict]]:
    """Liu et al.'s control: the compacted architecture that unit pruning of ``trained`` leaves
    at ``k``, trained from scratch like the dense model; returned in the dense model's shapes
    (removed units as zeros) so its counts compare with every other method's."""
    architecture = compact(prune(trained, "unit", k, layers)[0]).architecture
    log.info("training the architecture unit pruning leaves at k=%g from scratch: %s", k, architecture)
    small, history = fit(images, labels, spec={**spec, "architecture": architecture}, seed=seed, log=log,
                          epochs=spec["epochs"], learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])
    network, blocks = embed(small, trained)
    return network, [blocks[i] if i in layers else None for i in range(network.num_layers)], history
