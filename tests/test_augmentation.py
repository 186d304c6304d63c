"""training.augment: the papers' random crop after zero padding and horizontal flip, drawn from
the model's seed per epoch, applied to training images only, the same bytes on every rerun and
on both Keras backends."""

import contextlib
import fcntl
import os
import subprocess
import sys

import numpy as np
import pytest

from prunelab.models.augmentation import augment_images
from conftest import REPO


def _images(count=64, side=6, channels=2):
    return np.random.default_rng(0).uniform(0.1, 1, size=(count, side, side, channels)).astype(np.float32)


def test_no_crop_and_no_flip_leave_the_images_as_they_are():
    images = _images()
    assert np.array_equal(augment_images(images, 0, False, np.random.default_rng(1)), images)


def test_a_flip_mirrors_about_half_of_the_images_left_to_right():
    images = _images(200)
    flipped = augment_images(images, 0, True, np.random.default_rng(1))
    mirrored = [np.array_equal(out, image[:, ::-1]) for out, image in zip(flipped, images)]
    kept = [np.array_equal(out, image) for out, image in zip(flipped, images)]
    assert all(m or k for m, k in zip(mirrored, kept)) and 70 < sum(mirrored) < 130


def test_a_crop_shifts_each_image_within_its_zero_padding():
    images, crop = _images(300), 2
    shifted = augment_images(images, crop, False, np.random.default_rng(1))
    padded = np.pad(images, ((0, 0), (crop, crop), (crop, crop), (0, 0)))
    offsets = set()
    for out, pad in zip(shifted, padded):
        [(row, column)] = [(r, c) for r in range(2 * crop + 1) for c in range(2 * crop + 1)
                           if np.array_equal(out, pad[r:r + 6, c:c + 6])]
        offsets.add((row, column))
    assert len(offsets) == (2 * crop + 1) ** 2  # every offset drawn, the zero border shifted in
    assert (shifted == 0).any() and not (images == 0).any()


def test_the_same_draws_give_the_same_bytes_and_other_draws_others():
    images = _images()
    first, again = (augment_images(images, 2, True, np.random.default_rng([3, 0, 5])) for _ in range(2))
    other = augment_images(images, 2, True, np.random.default_rng([3, 1, 5]))
    assert first.tobytes() == again.tobytes() and first.tobytes() != other.tobytes()


def test_an_epoch_shows_every_training_image_once_in_a_seeded_order():
    """Each epoch every image once, with its own label, in the order of the permutation drawn from
    (seed, epoch), each batch augmented with the draws of (seed, epoch, batch), the remainder last;
    another epoch another order; the same seed and epoch the same bytes."""
    from prunelab.models.augmentation import augment_images, epoch_images

    images, labels = _images(50), np.arange(50)
    orders = []
    for epoch in range(2):
        shown, shown_labels = epoch_images(images, labels, 16, seed=4, epoch=epoch, augment={"crop": 1, "flip": True})
        order = np.random.default_rng([4, epoch]).permutation(50)
        assert np.array_equal(shown_labels, order)
        for batch, start in enumerate(range(0, 50, 16)):
            chosen = order[start:start + 16]
            expected = augment_images(images[chosen], 1, True, np.random.default_rng([4, epoch, batch]))
            assert np.array_equal(shown[start:start + 16], expected)
        orders.append(shown_labels)
        again = epoch_images(images, labels, 16, seed=4, epoch=epoch, augment={"crop": 1, "flip": True})
        assert again[0].tobytes() == shown.tobytes()
    assert sorted(orders[0]) == list(range(50)) and list(orders[0]) != list(orders[1])
    unaugmented, order = epoch_images(images, labels, 16, seed=4, epoch=0, augment={"crop": 0, "flip": False})
    assert np.array_equal(unaugmented, images[order])


TRAIN = """
import hashlib, logging, sys
import numpy as np
from prunelab.models.training import fit
from prunelab.plumbing.config import validate_config

from prunelab.data.loading import features
from prunelab.measuring.evaluation import classification_metrics, predict
from prunelab.plumbing.plan import training_specs

backend = sys.argv[1]
rng = np.random.default_rng(0)
images, labels = rng.integers(0, 256, size=(320, 28, 28), dtype=np.uint8), rng.integers(0, 10, 320)
for augment in sys.argv[2:]:  # one training after the other in this process
    augment = {"crop": 2, "flip": True} if augment == "on" else {}
    config = validate_config({"training": {"backend": backend, "augment": augment, "validation_size": 64},
                              "models": ["cnn"], "architectures": {"cnn": {"type": "cnn", "conv": [4], "kernel_size": 3,
                                                                           "pool": [True], "hidden": [8]}}})
    [spec] = training_specs({**config, "regularizers": ["none"]}).values()
    network, history = fit(images, labels, spec=spec, seed=0, log=logging.getLogger(), epochs=2, learning_rate=0.01,
                           batch_size=50)
    validation = classification_metrics(predict(network, features(spec["architecture"], images[:64])), labels[:64])
    kept = [row for row in history if row["best"]][-1]
    print(hashlib.sha256(b"".join(k.tobytes() for k in network.kernels)).hexdigest(), kept["val_loss"],
          validation["loss"])
"""


@contextlib.contextmanager
def every_cpu_held(folder):
    """Every CPU's lock (prunelab.plumbing.runtime.claim_cpus) held in ``folder``, as by other
    jobs: a process whose temporary folder it is finds no CPU free. Yields that process's environment."""
    (folder / "prunelab-cpus").mkdir()
    locks = [open(folder / "prunelab-cpus" / f"cpu{cpu}.lock", "a") for cpu in os.sched_getaffinity(0)]
    try:
        for lock in locks:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield {"TMPDIR": str(folder)}
    finally:
        for lock in locks:
            lock.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_augmented_training_is_reproducible_and_validates_on_unaugmented_images(backend, tmp_path):
    """Two runs in two processes give the same weights, the second with no CPU free (on JAX the
    first is bound to a free one: XLA must compute the same bits either way); augmentation changes
    them; the kept epoch's validation loss in the history is the loss of the kept weights on the
    validation images as they are."""
    def train(*augment, env=()):
        result = subprocess.run([sys.executable, "-c", TRAIN, backend, *augment], capture_output=True, text=True,
                                cwd=REPO, check=True,
                                env={**os.environ, "PYTHONPATH": str(REPO / "workflow"), **dict(env)})
        return [(digest, float(logged), float(measured))
                for digest, logged, measured in (line.split() for line in result.stdout.splitlines())]

    [first] = train("on")
    with every_cpu_held(tmp_path) as busy:
        [again, plain] = train("on", "off", env=busy)
    assert first[0] == again[0] and first[0] != plain[0]
    assert first[1] == pytest.approx(first[2], rel=1e-4)
