"""Deterministic training: seeding, data split and order, per-epoch progress, divergence
checks and epoch selection (``keep``: lowest validation loss, highest validation accuracy, or
the last epoch; always the last without a validation split). Every method that trains a pruned network goes through the same :func:`fit`
(:mod:`prunelab.models.masked_training`).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from ..data.loading import features, split_train_validation
from .augmentation import augmented, epoch_images
from .backend import import_keras, synchronize
from .graph import Graph
from .imported import ImportedModelError, load_imported
from .keras_models import DEFAULT_PRECISION, assign_weights, build_model, network_of
from .network import Network
from .protocol import learning_rate as schedule_rate
from .protocol import optimizer
from .protocol import protocol as training_protocol


STEPS_PER_EXECUTION = 32
"""Optimizer steps Keras runs per call of its compiled step function where no callback acts
between steps. Bit-identical weights and history to one step per call (measured on TensorFlow
and JAX, and the smoke and CNN-smoke results byte-identical); on TensorFlow one thread, the
default MLP's epoch 7 and 12 % faster in two runs (docs/performance.md)."""


class DivergedError(RuntimeError):
    """Training produced a non-finite loss; no weights are written."""


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Optimizer steps per epoch of ``images`` training images (after the validation hold-out)."""
    return math.ceil(images / batch_size)


def train_model(images: np.ndarray, labels: np.ndarray, spec: dict, seed: int,
                log: logging.Logger) -> tuple[Network, list[dict]]:
    """Train the model ``spec`` describes; returns the kept epoch's network and the history. A
    model trained elsewhere is taken as it is (:func:`imported_model`)."""
    if spec["architecture"]["type"] == "imported":
        return imported_model(images, labels, spec, log)
    return fit(images, labels, spec=spec, seed=seed, log=log, epochs=spec["epochs"],
                learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])


def imported_model(images: np.ndarray, labels: np.ndarray, spec: dict,
                   log: logging.Logger) -> tuple[Network, list[dict]]:
    """A model trained elsewhere as the training job's result: its weights as its file holds them
    (:func:`prunelab.models.imported.load_imported`), and a history of one row, epoch 0, with its
    loss and accuracy on the training and validation images as a training would record them,
    so that it is filed, plotted and pruned like a model trained here."""
    keras = import_keras(spec)
    architecture = spec["architecture"]
    model = load_imported(keras, architecture)
    problems = Graph.from_keras_config(model.get_config()).interface_problems(*data_shape(architecture, images, labels))
    if problems:  # known before any job unless the dataset is a download
        raise ImportedModelError(f"{architecture['file']}: {problems[0]}")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    (x_train, y_train), (x_val, y_val) = split_train_validation(
        features(architecture, images), labels, spec["validation_size"], spec["train_size"])
    row = {"epoch": 0}
    for prefix, x, y in (("", x_train, y_train), ("val_", x_val, y_val)):
        if len(x):
            loss, accuracy = model.evaluate(x, y, batch_size=spec["batch_size"], verbose=0)
            row.update({f"{prefix}accuracy": float(accuracy), f"{prefix}loss": float(loss)})
    log.info("imported %s: %s", architecture["file"], row)
    return network_of(model, architecture), [{**row, "seconds": 0.0, "best": True}]


def initial_network(spec: dict, seed: int, images: np.ndarray, labels: np.ndarray) -> Network:
    """The weights that training ``spec`` with ``seed`` on the training split ``images``,
    ``labels`` starts from (the same draw as :func:`fit`'s)."""
    keras = import_keras(spec)
    model = _seeded_model(keras, spec, seed, spec["architecture"], *data_shape(spec["architecture"], images, labels))
    return network_of(model, spec["architecture"])


def data_shape(architecture: dict, images: np.ndarray, labels: np.ndarray) -> tuple[tuple[int, ...], int]:
    """What a model of ``architecture`` takes and predicts on a dataset's training split: one
    image as it is fed (:func:`features`), and the classes, 0 to the largest training label."""
    return features(architecture, images[:1]).shape[1:], int(labels.max()) + 1


def _seeded_model(keras, spec: dict, seed: int, architecture: dict, input_shape: tuple[int, ...], classes: int,
                  kernel_masks=None, bias_masks=None, weight_decay: float = 0.0):
    keras.utils.set_random_seed(seed)
    return build_model(keras, architecture, classes, spec["regularizer"], spec["strength"], kernel_masks,
                       bias_masks, spec.get("precision", DEFAULT_PRECISION), weight_decay, input_shape)


def fit(images, labels, *, spec: dict, seed: int, log: logging.Logger, epochs: int, learning_rate: float,
        batch_size: int, protocol: dict | None = None, initial: Network | None = None, kernel_masks=None,
        bias_masks=None, callbacks=(), first_eligible_epoch: int = 0, stop_after_steps: int | None = None):
    """Train the model of ``spec`` (from ``initial`` if given, else its seeded initialization)
    with ``protocol`` (:mod:`prunelab.models.protocol`; by default the spec's own: how the dense
    model was trained); returns the kept epoch's network and the history, or with
    ``stop_after_steps`` the weights after that many steps."""
    keras = import_keras(spec)
    architecture = spec["architecture"]
    protocol = training_protocol(spec if protocol is None else protocol)
    (x_train, y_train), (x_val, y_val) = split_train_validation(
        features(architecture, images), labels, spec["validation_size"], spec["train_size"])
    model = _seeded_model(keras, spec, seed, architecture, *data_shape(architecture, images, labels), kernel_masks,
                          bias_masks, protocol["weight_decay"])
    if initial is not None:
        assign_weights(model, initial)
    per_epoch = math.ceil(len(x_train) / batch_size)
    # several steps per call where nothing acts between steps (gradual pruning's masks, a stop
    # after a number of steps): the same steps in the same order, fewer trips through Python
    steps_at_once = STEPS_PER_EXECUTION if not callbacks and stop_after_steps is None else 1
    model.compile(optimizer=optimizer(keras, protocol, learning_rate, per_epoch, epochs),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], steps_per_execution=steps_at_once)
    validation = (x_val, y_val) if len(x_val) else None
    tracker = EpochTracker(log, epochs, monitor=protocol["keep"] if validation and protocol["keep"] != "last" else None,
                           first_eligible_epoch=first_eligible_epoch,
                           rate=lambda epoch: schedule_rate(protocol, learning_rate, epoch * per_epoch, per_epoch,
                                                            epochs))
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
                synchronize(self.model)
                snapshot["weights"] = self.model.get_weights()
                self.model.stop_training = True

    callbacks = [*callbacks, Progress()] + ([Snapshot()] if stop_after_steps is not None else [])
    augment = spec.get("augment")
    if augmented(augment):  # one call per epoch, each on that epoch's images
        for epoch in range(epochs):
            shown, shown_labels = epoch_images(x_train, y_train, batch_size, seed, epoch, augment)
            model.fit(shown, shown_labels, batch_size=batch_size, shuffle=False, validation_data=validation,
                      initial_epoch=epoch, epochs=epoch + 1, verbose=0, callbacks=callbacks)
            if model.stop_training:
                break
    else:  # Keras's own batching and shuffle, as every result before augmentation existed
        model.fit(x_train, y_train, batch_size=batch_size, shuffle=True, validation_data=validation, epochs=epochs,
                  verbose=0, callbacks=callbacks)
    if stop_after_steps is not None:
        if "weights" not in snapshot:
            raise ValueError(f"training has only {per_epoch * epochs} steps, not {stop_after_steps}")
        model.set_weights(snapshot["weights"])
    else:
        model.set_weights(tracker.best_weights)
    return network_of(model, architecture), tracker.history


class EpochTracker:
    """Logs each epoch, stops on divergence, and keeps the best weights: the lowest ``monitor``
    value (a loss), or the highest (an accuracy; a tie keeps the earlier epoch), or the latest
    epoch when there is nothing to monitor, among the epochs from ``first_eligible_epoch``
    (0-based) on. ``rate(epoch)`` gives the learning rate of the epoch's first step, recorded
    beside its metrics."""

    def __init__(self, log: logging.Logger, epochs: int, monitor: str | None = "val_loss",
                 first_eligible_epoch: int = 0, rate=None):
        self.log, self.epochs, self.monitor, self.rate = log, epochs, monitor, rate
        self.first_eligible_epoch = first_eligible_epoch
        self.history: list[dict] = []
        self.sign = -1.0 if monitor is not None and monitor.endswith("accuracy") else 1.0
        self.best_score = math.inf
        self.best_weights = None

    def record(self, epoch: int, logs: dict, seconds: float, weights_getter) -> None:
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in sorted(logs.items())}, "seconds": round(seconds, 3)}
        if self.rate is not None:
            row["learning_rate"] = self.rate(epoch)
        losses = {key: value for key, value in row.items() if key.endswith("loss")}
        if not all(math.isfinite(value) for value in losses.values()):
            raise DivergedError(f"epoch {epoch + 1}: non-finite loss ({losses}); no weights are kept")
        score = self.sign * row[self.monitor] if self.monitor is not None else math.inf
        improved = epoch >= self.first_eligible_epoch and (self.monitor is None or score < self.best_score)
        if improved:
            self.best_score, self.best_weights = score, weights_getter()
        row["best"] = improved
        self.history.append(row)
        metrics = " ".join(f"{key} {row[key]:.4f}" for key in ("loss", "accuracy", "val_loss", "val_accuracy")
                           if key in row)
        self.log.info("epoch %d/%d %s %.1fs%s", epoch + 1, self.epochs, metrics, seconds,
                      " (best)" if improved and self.monitor else "")
