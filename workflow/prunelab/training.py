"""Deterministic training, and every pruning method that trains.

Training a dense model, fine-tuning a pruned one with its masks fixed (in one or several
prune-retrain rounds), gradual pruning during training, lottery-ticket rounds with
rewinding, pruning at initialization and the scratch control all go through one
:func:`_fit`: the same seeding, data split, data order, epoch logging and epoch selection
(lowest validation loss, or the last epoch without a validation split).
"""

from __future__ import annotations

import logging
import math
import time
from fractions import Fraction

import numpy as np

from .compaction import compact, embed
from .datasets import NUM_CLASSES
from .models import assign_weights, build_model, network_of
from .network import Network, features
from .plan import steps_per_epoch
from .pruning import (METHODS, PruningInputs, apply_masks, exact_fraction, gradual_schedule, lottery_masks, prune,
                      weight_mask)
from .runtime import import_tensorflow


class DivergedError(RuntimeError):
    """Training produced a non-finite loss; no weights are written."""


def split_train_validation(x: np.ndarray, labels: np.ndarray, validation_size: int,
                           train_size: int | None):
    """C's split: the first ``validation_size`` images validate, the next ones train."""
    y = labels.astype(np.int64)
    end = len(x) if train_size is None else validation_size + train_size
    if end > len(x):
        raise ValueError(f"validation_size + train_size = {end} exceeds the {len(x)} training images")
    return (x[validation_size:end], y[validation_size:end]), (x[:validation_size], y[:validation_size])


def training_sample(images: np.ndarray, labels: np.ndarray, spec: dict, count: int, seed: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``count`` training images (never held-out validation ones) drawn at random, seeded:
    the batch that gradient-based scores are computed on."""
    (x, y), _ = split_train_validation(features(spec["architecture"], images), labels, spec["validation_size"],
                                       spec["train_size"])
    chosen = np.sort(np.random.default_rng(seed).choice(len(x), size=min(count, len(x)), replace=False))
    return x[chosen], y[chosen]


def pruning_inputs(method: str, settings: dict, *, spec: dict, seed: int, images: np.ndarray | None = None,
                   labels: np.ndarray | None = None) -> PruningInputs:
    """What ``method``'s mask function needs beyond the weights, from its config ``settings``
    (:func:`prunelab.plan.method_settings`) and, for gradients, the training images."""
    x = y = None
    if "gradients" in METHODS[method].needs:
        x, y = training_sample(images, labels, spec, settings["samples"], seed)
    n_of_m = settings.get("n_of_m")
    return PruningInputs(x=x, labels=y, n_of_m=None if n_of_m is None else tuple(n_of_m),
                         synflow_rounds=settings.get("rounds"))


def train_model(images: np.ndarray, labels: np.ndarray, spec: dict, seed: int,
                log: logging.Logger) -> tuple[Network, list[dict]]:
    """Train the model ``spec`` describes; returns the kept epoch's network and the history."""
    return _fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
                learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])


def initial_network(spec: dict, seed: int) -> Network:
    """The weights that training ``spec`` with ``seed`` starts from (the same draw as :func:`_fit`'s)."""
    keras = import_tensorflow(spec["threads"], spec["onednn"]).keras
    return network_of(_seeded_model(keras, spec, seed, spec["architecture"]), spec["architecture"])


def finetune_model(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                   pruned: Network, masks: list, settings: dict, unit_level: bool) -> tuple[Network, list[dict]]:
    """Retrain a pruned network with its masks fixed: pruned weights (and, for unit-level
    methods, pruned units' biases) stay exactly zero. Same data split, regularizer and
    epoch selection as the original training; ``settings`` gives epochs, learning rate
    and batch size."""
    network, history = _fit(images, labels, spec=spec, seed=seed, log=log, epochs=settings["epochs"],
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
    trained, history = _fit(images, labels, spec=spec, seed=seed, log=log, epochs=settings["epochs"],
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
    network, _ = _fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
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
    network, history = _fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
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
    small, history = _fit(images, labels, spec={**spec, "architecture": architecture}, seed=seed, log=log,
                          epochs=spec["epochs"], learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])
    network, blocks = embed(small, trained)
    return network, [blocks[i] if i in layers else None for i in range(network.num_layers)], history


def _seeded_model(keras, spec: dict, seed: int, architecture: dict, kernel_masks=None, bias_masks=None):
    keras.utils.set_random_seed(seed)
    return build_model(keras, architecture, NUM_CLASSES, spec["regularizer"], spec["strength"],
                       kernel_masks, bias_masks)


def _fit(images, labels, *, spec: dict, seed: int, log: logging.Logger, epochs: int, learning_rate: float,
         batch_size: int, initial: Network | None = None, kernel_masks=None, bias_masks=None, callbacks=(),
         first_eligible_epoch: int = 0, stop_after_steps: int | None = None):
    """Train the model of ``spec`` (from ``initial`` if given, else its seeded initialization);
    returns the kept epoch's network and the history, or with ``stop_after_steps`` the
    weights after that many steps."""
    tf = import_tensorflow(spec["threads"], spec["onednn"])
    keras = tf.keras
    architecture = spec["architecture"]
    (x_train, y_train), (x_val, y_val) = split_train_validation(
        features(architecture, images), labels, spec["validation_size"], spec["train_size"])
    model = _seeded_model(keras, spec, seed, architecture, kernel_masks, bias_masks)
    if initial is not None:
        assign_weights(model, initial)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    validation = (x_val, y_val) if len(x_val) else None
    tracker = EpochTracker(log, epochs, monitor="val_loss" if validation else None,
                           first_eligible_epoch=first_eligible_epoch)
    per_epoch = math.ceil(len(x_train) / batch_size)
    snapshot = {}

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if "weights" not in snapshot:
                tracker.record(epoch, logs or {}, time.perf_counter() - self.started, self.model.get_weights)

    class Snapshot(keras.callbacks.Callback):
        """Stops after ``stop_after_steps`` steps, keeping the weights of that moment."""

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch * per_epoch + batch + 1 == stop_after_steps:
                snapshot["weights"] = self.model.get_weights()
                self.model.stop_training = True

    callbacks = [*callbacks, Progress()] + ([Snapshot()] if stop_after_steps is not None else [])
    model.fit(x_train, y_train, validation_data=validation, epochs=epochs,
              batch_size=batch_size, shuffle=True, verbose=0, callbacks=callbacks)
    if stop_after_steps is not None:
        if "weights" not in snapshot:
            raise ValueError(f"training has only {per_epoch * epochs} steps, not {stop_after_steps}")
        model.set_weights(snapshot["weights"])
    else:
        model.set_weights(tracker.best_weights)
    return network_of(model, architecture), tracker.history


class EpochTracker:
    """Logs each epoch, stops on divergence, and keeps the best weights: lowest ``monitor``
    value, or the latest epoch when there is nothing to monitor, among the epochs from
    ``first_eligible_epoch`` (0-based) on."""

    def __init__(self, log: logging.Logger, epochs: int, monitor: str | None = "val_loss",
                 first_eligible_epoch: int = 0):
        self.log, self.epochs, self.monitor = log, epochs, monitor
        self.first_eligible_epoch = first_eligible_epoch
        self.history: list[dict] = []
        self.best_loss = math.inf
        self.best_weights = None

    def record(self, epoch: int, logs: dict, seconds: float, weights_getter) -> None:
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in sorted(logs.items())}, "seconds": round(seconds, 3)}
        losses = {key: value for key, value in row.items() if key.endswith("loss")}
        if not all(math.isfinite(value) for value in losses.values()):
            raise DivergedError(f"epoch {epoch + 1}: non-finite loss ({losses}); no weights are kept")
        improved = epoch >= self.first_eligible_epoch and (self.monitor is None or row[self.monitor] < self.best_loss)
        if improved:
            self.best_loss, self.best_weights = row.get(self.monitor, math.inf), weights_getter()
        row["best"] = improved
        self.history.append(row)
        metrics = " ".join(f"{key} {row[key]:.4f}" for key in ("loss", "accuracy", "val_loss", "val_accuracy")
                           if key in row)
        self.log.info("epoch %d/%d %s %.1fs%s", epoch + 1, self.epochs, metrics, seconds,
                      " (best)" if improved and self.monitor else "")
