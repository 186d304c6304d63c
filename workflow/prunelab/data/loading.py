"""Reading a dataset's splits, and the training/validation split every training job uses."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .datasets import DATASETS, NUM_CLASSES, SPLIT_FILES
from .idx import read_idx


def load_split(data_dir: str | os.PathLike, dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) uint8 and labels (n,) uint8 of one split, shape-checked."""
    images_name, labels_name = SPLIT_FILES[split]
    files = DATASETS[dataset]
    images = read_idx(Path(data_dir) / images_name, files[images_name].shape)
    labels = read_idx(Path(data_dir) / labels_name, files[labels_name].shape)
    if labels.max() >= NUM_CLASSES:
        raise ValueError(f"{data_dir}/{labels_name}: label {labels.max()} outside 0..{NUM_CLASSES - 1}")
    return images, labels

def features(architecture: dict, images: np.ndarray) -> np.ndarray:
    """The model's input: images scaled to [0, 1] as float32, flat for dense models,
    with a channel axis for convolutional ones."""
    scaled = images.astype(np.float32) / np.float32(255.0)
    if architecture["type"] == "cnn":
        return scaled[..., np.newaxis]
    return scaled.reshape(len(images), -1)


def split_train_validation(x: np.ndarray, labels: np.ndarray, validation_size: int,
                           train_size: int | None):
    """The split every training uses: the first ``validation_size`` images validate, the next ones train."""
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


def calibration_images(images: np.ndarray, spec: dict, count: int) -> np.ndarray:
    """The first ``count`` training images after the held-out validation ones, as model inputs:
    the calibration set of methods that prune from layer inputs (never validation or test images)."""
    start = spec["validation_size"]
    end = len(images) if spec["train_size"] is None else start + spec["train_size"]
    return features(spec["architecture"], images[start:min(end, start + count)])
