"""Deterministic training with per-epoch progress and best-epoch selection."""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .datasets import NUM_CLASSES, as_features
from .models import build_dense, kernels_of
from .runtime import import_tensorflow


class DivergedError(RuntimeError):
    """Training produced a non-finite loss; no weights are written."""


def split_train_validation(images: np.ndarray, labels: np.ndarray, validation_size: int,
                           train_size: int | None):
    """C's split: the first ``validation_size`` images validate, the next ones train."""
    x, y = as_features(images), labels.astype(np.int64)
    end = len(x) if train_size is None else validation_size + train_size
    if end > len(x):
        raise ValueError(f"validation_size + train_size = {end} exceeds the {len(x)} training images")
    return (x[validation_size:end], y[validation_size:end]), (x[:validation_size], y[:validation_size])


def train_dense(images: np.ndarray, labels: np.ndarray, spec: dict, seed: int,
                log: logging.Logger) -> tuple[list[np.ndarray], list[dict]]:
    """Train C's dense model per ``spec``; returns the best epoch's kernels and the history.

    The best epoch is the one with the lowest validation loss (as C kept it).
    """
    tf = import_tensorflow(spec["threads"], spec["onednn"])
    keras = tf.keras
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = split_train_validation(
        images, labels, spec["validation_size"], spec["train_size"])
    model = build_dense(keras, x_train.shape[1], NUM_CLASSES, spec["hidden"], spec["bias"],
                        spec["regularizer"], spec["strength"])
    model.compile(optimizer=keras.optimizers.Adam(spec["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tracker = EpochTracker(log, spec["epochs"])

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            tracker.record(epoch, logs or {}, time.perf_counter() - self.started, self.model.get_weights)

    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=spec["epochs"],
              batch_size=spec["batch_size"], shuffle=True, verbose=0, callbacks=[Progress()])
    model.set_weights(tracker.best_weights)
    return kernels_of(model), tracker.history


class EpochTracker:
    """Logs each epoch, stops on divergence, and keeps the lowest-validation-loss weights."""

    def __init__(self, log: logging.Logger, epochs: int):
        self.log, self.epochs = log, epochs
        self.history: list[dict] = []
        self.best_loss = math.inf
        self.best_weights = None

    def record(self, epoch: int, logs: dict, seconds: float, weights_getter) -> None:
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in sorted(logs.items())}, "seconds": round(seconds, 3)}
        if not all(math.isfinite(row[key]) for key in ("loss", "val_loss")):
            raise DivergedError(f"epoch {epoch + 1}: non-finite loss {row['loss']} / val_loss {row['val_loss']}")
        improved = row["val_loss"] < self.best_loss
        if improved:
            self.best_loss, self.best_weights = row["val_loss"], weights_getter()
        row["best"] = improved
        self.history.append(row)
        self.log.info("epoch %d/%d loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f %.1fs%s",
                      epoch + 1, self.epochs, row["loss"], row["accuracy"], row["val_loss"],
                      row["val_accuracy"], seconds, " (best)" if improved else "")
