"""Training-time augmentation as the CIFAR papers do it (He et al. 2016; OpenLTH): each epoch,
every training image zero-padded by ``crop`` pixels on each side and cropped back to its size
at a random offset, and flipped left to right with probability 1/2.

Only the training images of a training are augmented; validation, calibration and test images
never pass through here. What an epoch sees is a pure function of the model's seed and the
epoch (the order of the images and each image's offset and flip), drawn by numpy, so a rerun
gives the same bytes and both Keras backends get the same images.
"""

from __future__ import annotations

import numpy as np

NO_AUGMENTATION = {"crop": 0, "flip": False}
"""``training.augment`` at its default: training as before the key existed (Keras's own shuffle)."""


VERSION = 2
"""What an augmented training's spec (and so its train id) records beside ``crop`` and ``flip``:
which images in which order an epoch shows for the same seed. 1 (unrecorded, until 2026-12-07):
batches fed from Python by a ``keras.utils.PyDataset``, whose order Keras shuffled again with
Python's ``random``; 2: :func:`epoch_images`, the order of one numpy permutation per epoch."""


def augmented(augment: dict | None) -> bool:
    """Whether ``augment`` (``training.augment``, or a spec's) crops or flips."""
    return bool(augment) and (augment.get("crop", 0) > 0 or bool(augment.get("flip", False)))


def versioned(augment: dict) -> dict:
    """``training.augment`` as a training spec holds it: with the :data:`VERSION` of its draws."""
    return {**augment, "version": VERSION}


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


def epoch_images(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, epoch: int,
                 augment: dict) -> tuple[np.ndarray, np.ndarray]:
    """Epoch ``epoch``'s training images and labels in the order it shows them: a permutation drawn
    from ``(seed, epoch)``, each batch of ``batch_size`` augmented by :func:`augment_images` with
    draws from ``(seed, epoch, batch)``, the last batch holding the remainder (as Keras's own
    batching). Built at once as arrays so that Keras batches them itself: fed batch by batch from
    Python (a ``PyDataset``) the same epoch took twice as long (benchmarks/augment.md)."""
    if images.ndim != 4:
        raise ValueError(f"training.augment crops and flips images (N, height, width, channels), "
                         f"not inputs of shape {images.shape}")
    order = np.random.default_rng([seed, epoch]).permutation(len(images))
    shown = np.empty_like(images)
    for start in range(0, len(images), batch_size):
        chosen = order[start:start + batch_size]
        rng = np.random.default_rng([seed, epoch, start // batch_size])
        shown[start:start + len(chosen)] = augment_images(images[chosen], augment["crop"], augment["flip"], rng)
    return shown, labels[order]
