"""Reading a dataset's splits, and the training/validation split every training job uses."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .custom import CUSTOM_FILE, load_custom
from .datasets import DATASETS, NUM_CLASSES, SPLIT_FILES, IDXFile
from .idx import parse_idx


class ChangedDataError(ValueError):
    """A dataset file no longer has the checksum it was fetched with."""


def read_verified(path: Path, dataset: str, spec: IDXFile) -> np.ndarray:
    """An IDX file's array, after checking its SHA-256 against the dataset's: a file changed after
    it was fetched (its inputs are ancient, so nothing else would notice) fails the job here."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ChangedDataError(
            f"{path}: SHA-256 {digest} is not {dataset}'s {spec.sha256}: the file changed after it was fetched; "
            f"fetch it again with: snakemake --cores 1 --forcerun fetch_data {Path(path).parent}/provenance.json")
    return parse_idx(data, spec.shape, name=str(path))


PER_CHANNEL = "per_channel"  # standardize by each channel's statistics over the training images


def load_split(data_dir: str | os.PathLike, dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, height, width[, channels]) and labels (n,) of one split, checksum- and
    shape-checked: (n, 28, 28) uint8 for the built-in datasets, uint8 or float32 for an own one
    (:mod:`prunelab.data.custom`), checked against the SHA-256 its fetch recorded."""
    if dataset not in DATASETS:
        fetched = json.loads((Path(data_dir) / "provenance.json").read_text())
        return load_custom(data_dir, split, fetched["files"][CUSTOM_FILE]["sha256"])
    images_name, labels_name = SPLIT_FILES[split]
    files = DATASETS[dataset]
    images = read_verified(Path(data_dir) / images_name, dataset, files[images_name])
    labels = read_verified(Path(data_dir) / labels_name, dataset, files[labels_name])
    if labels.max() >= NUM_CLASSES:
        raise ValueError(f"{data_dir}/{labels_name}: label {labels.max()} outside 0..{NUM_CLASSES - 1}")
    return images, labels


def scaled_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 images scaled to [0, 1] as float32, float32 images as they are."""
    return images.astype(np.float32) / np.float32(255.0) if images.dtype == np.uint8 else images.astype(np.float32)


def features(architecture: dict, images: np.ndarray) -> np.ndarray:
    """The model's input: :func:`scaled_pixels` (then standardized where the architecture says,
    as papers' code does: SNIP's one mean and deviation, or one per channel, the CIFAR papers'),
    flat for dense models, (N, height, width, channels) for every other (convolutional,
    residual, VGG) model: a channel axis added to grayscale images."""
    scaled = scaled_pixels(images)
    if "standardize" in architecture:
        statistics = architecture["standardize"]
        if statistics == PER_CHANNEL:
            raise ValueError("standardize: per_channel has no statistics yet: the training job computes them "
                             "(with_training_statistics) and its train.json records them")
        scaled = (scaled - np.asarray(statistics["mean"], np.float32)) / np.asarray(statistics["std"], np.float32)
    if architecture["type"] == "dense":
        return scaled.reshape(len(images), -1)
    return scaled[..., np.newaxis] if scaled.ndim == 3 else scaled


def with_training_statistics(spec: dict, images: np.ndarray) -> dict:
    """``spec`` with ``standardize: per_channel`` replaced by its training images' statistics:
    each channel's mean and (population) standard deviation of :func:`scaled_pixels` over the
    images the model trains on (after the validation split), in float64, as the training job
    records them; any other spec as it is."""
    architecture = spec["architecture"]
    if architecture.get("standardize") != PER_CHANNEL:
        return spec
    end = len(images) if spec["train_size"] is None else spec["validation_size"] + spec["train_size"]
    pixels = scaled_pixels(images[spec["validation_size"]:end]).astype(np.float64)
    pixels = pixels.reshape(-1, pixels.shape[-1] if pixels.ndim == 4 else 1)
    statistics = {"mean": pixels.mean(axis=0).tolist(), "std": pixels.std(axis=0).tolist()}
    return {**spec, "architecture": {**architecture, "standardize": statistics}}


def training_split_problem(training: dict, train_images: int, dataset: str) -> str | None:
    """Why ``training`` (the config's or a spec's settings) cannot train on a dataset of
    ``train_images`` training images: its validation split and ``train_size`` ask for more images
    than there are, or leave fewer than one batch to train on. ``None`` if it can."""
    validation, train_size, batch = training["validation_size"], training["train_size"], training["batch_size"]
    if train_size is not None and validation + train_size > train_images:
        return (f"training: validation_size + train_size = {validation + train_size} exceeds the {train_images} "
                f"training images of dataset {dataset}")
    left = train_images - validation
    if train_size is None and left < batch:
        return (f"training.validation_size: {validation} of the {train_images} training images of dataset "
                f"{dataset} leaves {max(left, 0)} to train on, fewer than one batch (training.batch_size {batch})")
    return None


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
