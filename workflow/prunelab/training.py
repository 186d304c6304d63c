"""Deterministic training with per-epoch progress and best-epoch selection."""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .datasets import NUM_CLASSES
from .models import assign_weights, build_model, network_of
from .network import Network, features
from .pruning import GRANULARITY, prune
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


def train_model(images: np.ndarray, labels: np.ndarray, spec: dict, seed: int,
                log: logging.Logger) -> tuple[Network, list[dict]]:
    """Train the model ``spec`` describes; returns the kept epoch's network and the history.

    With a validation split the kept epoch is the one with the lowest validation loss
    (as C kept it); without one (``validation_size: 0``), the last epoch.
    """
    return _fit(images, labels, spec, seed, log, spec["epochs"], spec["learning_rate"], spec["batch_size"])


def finetune_model(images: np.ndarray, labels: np.ndarray, spec: dict, seed: int, log: logging.Logger,
                   pruned: Network, masks: list, settings: dict, unit_level: bool) -> tuple[Network, list[dict]]:
    """Retrain a pruned network with its masks fixed: pruned weights (and, for unit-level
    methods, pruned units' biases) stay exactly zero. Same data split, regularizer and
    epoch selection as the original training; ``settings`` gives epochs, learning rate
    and batch size."""
    bias_masks = None
    if pruned.biases is not None and unit_level:
        bias_masks = [None if m is None else m.reshape(-1, m.shape[-1]).any(axis=0) for m in masks]
    network, history = _fit(images, labels, spec, seed, log, settings["epochs"], settings["learning_rate"],
                            settings["batch_size"], initial=pruned, kernel_masks=masks, bias_masks=bias_masks)
    for index, mask in enumerate(masks):
        if mask is not None and np.any(network.kernels[index][~mask]):
            raise AssertionError(f"layer {index}: a pruned weight became non-zero during fine-tuning")
    return network, history


def round_schedule(k: float, epochs: int, rounds: int) -> list[tuple[float, int]]:
    """(target k, epochs) of each prune-retrain round: k rises linearly to ``k`` and the
    epochs are split as evenly as possible, earlier rounds taking the remainder."""
    if not 1 <= rounds <= epochs:
        raise ValueError(f"{rounds} rounds need between 1 and {epochs} epochs")
    share, remainder = divmod(epochs, rounds)
    return [(k * i / rounds if i < rounds else k, share + (i <= remainder)) for i in range(1, rounds + 1)]


def prune_and_finetune(images: np.ndarray, labels: np.ndarray, spec: dict, seed: int, log: logging.Logger,
                       network: Network, method: str, k: float, layers: list[int], settings: dict
                       ) -> tuple[Network, list, list[dict]]:
    """Prune ``network`` to ``k`` and retrain it with its masks fixed, in ``settings["rounds"]``
    prune-retrain rounds (one round: prune once, then retrain). A weight pruned in one round
    stays pruned in the next. Returns the network, its final masks and the history of
    every round."""
    masks, history = None, []
    for number, (round_k, round_epochs) in enumerate(round_schedule(k, settings["epochs"], settings["rounds"]), 1):
        network, round_masks = prune(network, method, round_k, layers, seed)
        masks = round_masks if masks is None else [
            None if new is None else new & old for new, old in zip(round_masks, masks)]
        log.info("round %d/%d: pruned to k=%g, retraining %d epochs", number, settings["rounds"], round_k,
                 round_epochs)
        network, round_history = finetune_model(images, labels, spec, seed, log, network, masks,
                                                dict(settings, epochs=round_epochs),
                                                unit_level=GRANULARITY[method] == "unit")
        history += [{"round": number, **row} for row in round_history]
    return network, masks, history


def _fit(images, labels, spec: dict, seed: int, log: logging.Logger, epochs: int, learning_rate: float,
         batch_size: int, initial: Network | None = None, kernel_masks=None, bias_masks=None):
    tf = import_tensorflow(spec["threads"], spec["onednn"])
    keras = tf.keras
    keras.utils.set_random_seed(seed)
    architecture = spec["architecture"]
    (x_train, y_train), (x_val, y_val) = split_train_validation(
        features(architecture, images), labels, spec["validation_size"], spec["train_size"])
    model = build_model(keras, architecture, NUM_CLASSES, spec["regularizer"], spec["strength"],
                        kernel_masks, bias_masks)
    if initial is not None:
        assign_weights(model, initial)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    validation = (x_val, y_val) if len(x_val) else None
    tracker = EpochTracker(log, epochs, monitor="val_loss" if validation else None)

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            tracker.record(epoch, logs or {}, time.perf_counter() - self.started, self.model.get_weights)

    model.fit(x_train, y_train, validation_data=validation, epochs=epochs,
              batch_size=batch_size, shuffle=True, verbose=0, callbacks=[Progress()])
    model.set_weights(tracker.best_weights)
    return network_of(model, architecture), tracker.history


class EpochTracker:
    """Logs each epoch, stops on divergence, and keeps the best weights: lowest ``monitor``
    value, or the latest epoch when there is nothing to monitor."""

    def __init__(self, log: logging.Logger, epochs: int, monitor: str | None = "val_loss"):
        self.log, self.epochs, self.monitor = log, epochs, monitor
        self.history: list[dict] = []
        self.best_loss = math.inf
        self.best_weights = None

    def record(self, epoch: int, logs: dict, seconds: float, weights_getter) -> None:
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in sorted(logs.items())}, "seconds": round(seconds, 3)}
        losses = {key: value for key, value in row.items() if key.endswith("loss")}
        if not all(math.isfinite(value) for value in losses.values()):
            raise DivergedError(f"epoch {epoch + 1}: non-finite loss ({losses}); no weights are kept")
        improved = self.monitor is None or row[self.monitor] < self.best_loss
        if improved:
            self.best_loss, self.best_weights = row.get(self.monitor, math.inf), weights_getter()
        row["best"] = improved
        self.history.append(row)
        metrics = " ".join(f"{key} {row[key]:.4f}" for key in ("loss", "accuracy", "val_loss", "val_accuracy")
                           if key in row)
        self.log.info("epoch %d/%d %s %.1fs%s", epoch + 1, self.epochs, metrics, seconds,
                      " (best)" if improved and self.monitor else "")
