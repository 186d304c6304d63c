"""Training-time augmentation as the CIFAR papers do it (He et al. 2016; OpenLTH): each epoch,
every training image zero-padded by ``crop`` pixels on each side and cropped back to its size
at a random offset, and flipped left to right with probability 1/2.

Only the training images of a training are augmented; validation, calibration and test images
never pass through here. What an epoch sees is a pure function of the model's seed and the
epoch (the order of the images and each image's offset and flip), drawn by numpy, so a rerun
gives the same bytes and both Keras backends get the same images.
"""

from __future__ import annotations

import math

import numpy as np

NO_AUGMENTATION = {"crop": 0, "flip": False}
"""``training.augment`` at its default: training as before the key existed (Keras's own shuffle)."""


def augmented(augment: dict | None) -> bool:
    return bool(augment) and augment != NO_AUGMENTATION


def augment_images(images: np.ndarray, crop: int, flip: bool, rng: np.random.Generator) -> np.ndarray:
    """``images`` (N, height, width, channels), each shifted by a random crop of its zero-padded
    self (offsets 0..2·crop, drawn per image) and mirrored left to right with probability 1/2."""
    count, height, width = images.shape[:3]
    rows, columns = rng.integers(0, 2 * crop + 1, size=(2, count)) if crop else np.zeros((2, count), int)
    mirrored = rng.random(count) < 0.5 if flip else np.zeros(count, bool)
    padded = np.pad(images, ((0, 0), (crop, crop), (crop, crop), (0, 0))) if crop else images
    result = np.empty_like(images)
    for index in range(count):
        window = padded[index, rows[index]:rows[index] + height, columns[index]:columns[index] + width]
        result[index] = window[:, ::-1] if mirrored[index] else window
    return result


def epoch_batches(keras, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, augment: dict):
    """A ``keras.utils.PyDataset`` of a training's batches: in epoch ``e`` the images in the order
    of a permutation drawn from ``(seed, e)``, each batch augmented by :func:`augment_images` with
    draws from ``(seed, e, batch)``; the last batch holds the remainder, as Keras's own batching."""
    if images.ndim != 4:
        raise ValueError(f"training.augment crops and flips images (N, height, width, channels), "
                         f"not inputs of shape {images.shape}")

    class EpochBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch = -1  # before the first epoch: Keras reads a batch to learn the shapes
            self.order = np.arange(len(images))

        def __len__(self):
            return math.ceil(len(images) / batch_size)

        def on_epoch_begin(self):
            self.epoch += 1
            self.order = np.random.default_rng([seed, self.epoch]).permutation(len(images))

        def __getitem__(self, batch):
            chosen = self.order[batch * batch_size:(batch + 1) * batch_size]
            rng = np.random.default_rng([seed, max(self.epoch, 0), batch])
            return augment_images(images[chosen], augment["crop"], augment["flip"], rng), labels[chosen]

    return EpochBatches()
