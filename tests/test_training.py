import logging
import math

import numpy as np
import pytest

from prunelab.network import features
from prunelab.training import (DivergedError, EpochTracker, finetune_model, prune_and_finetune, round_schedule,
                               split_train_validation, train_model)

DENSE = {"type": "dense", "hidden": [32, 16], "bias": False}
SPEC = {"model": "dense", "architecture": DENSE, "regularizer": "l1",
        "strength": 0.001, "epochs": 3, "batch_size": 32, "learning_rate": 0.003, "validation_size": 100,
        "train_size": 300, "threads": 1, "onednn": False}


def synthetic_digits(n=400):
    """Images whose class is readable from one bright row: learnable in two epochs."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    images[np.arange(n), labels * 2 + 4, :] = 255
    return images, labels


def test_split_holds_out_the_first_images_for_validation():
    images, labels = synthetic_digits()
    (x_train, y_train), (x_val, y_val) = split_train_validation(features(DENSE, images), labels, 100, 200)
    assert x_train.shape == (200, 784) and x_val.shape == (100, 784)
    assert x_train.dtype == np.float32 and x_train.max() <= 1.0
    np.testing.assert_array_equal(y_val, labels[:100])
    np.testing.assert_array_equal(y_train, labels[100:300])
    with pytest.raises(ValueError, match="exceeds"):
        split_train_validation(features(DENSE, images), labels, 300, 200)


def test_tracker_keeps_the_lowest_validation_loss_and_logs_each_epoch(caplog):
    tracker = EpochTracker(logging.getLogger("test"), 3)
    with caplog.at_level(logging.INFO):
        for epoch, val_loss in enumerate([0.5, 0.3, 0.4]):
            tracker.record(epoch, {"loss": 1.0, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": 0.6},
                           1.25, lambda e=epoch: f"weights {e}")
    assert tracker.best_weights == "weights 1"
    assert [row["best"] for row in tracker.history] == [True, True, False]
    assert "epoch 2/3 loss 1.0000 accuracy 0.5000 val_loss 0.3000 val_accuracy 0.6000 1.2s (best)" in caplog.text


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_tracker_refuses_a_diverged_epoch(bad):
    tracker = EpochTracker(logging.getLogger("test"), 1)
    with pytest.raises(DivergedError, match="non-finite"):
        tracker.record(0, {"loss": bad, "accuracy": 0.1, "val_loss": 1.0, "val_accuracy": 0.1}, 1.0, list)
    assert tracker.best_weights is None


def test_training_is_deterministic_and_learns(tensorflow):
    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    first, history = train_model(images, labels, SPEC, seed=3, log=log)
    second, _ = train_model(images, labels, SPEC, seed=3, log=log)
    assert [w.shape for w in first.kernels] == [(784, 32), (32, 16), (16, 10)] and first.biases is None
    for a, b in zip(first.kernels, second.kernels):
        np.testing.assert_array_equal(a, b)
    assert len(history) == 3 and history[-1]["val_accuracy"] > 0.5
    other, _ = train_model(images, labels, SPEC, seed=4, log=log)
    assert not np.array_equal(first.kernels[0], other.kernels[0])


def test_without_validation_the_last_epoch_is_kept(tensorflow):
    images, labels = synthetic_digits()
    cnn = {"type": "cnn", "conv": [4, 4], "kernel_size": 3, "pool": [True, True], "hidden": [16], "bias": True}
    spec = {**SPEC, "architecture": cnn, "validation_size": 0, "epochs": 2, "regularizer": "none"}
    network, history = train_model(images, labels, spec, seed=0, log=logging.getLogger("test"))
    assert [row["best"] for row in history] == [True, True] and "val_loss" not in history[0]
    assert [k.shape for k in network.kernels] == [(3, 3, 1, 4), (3, 3, 4, 4), (100, 16), (16, 10)]
    assert [b.shape for b in network.biases] == [(4,), (4,), (16,), (10,)]


@pytest.mark.parametrize("method", ["weight", "unit"])
def test_fine_tuning_keeps_pruned_weights_exactly_zero(tensorflow, method):
    from prunelab.pruning import prune

    images, labels = synthetic_digits()
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    network, _ = train_model(images, labels, spec, seed=0, log=logging.getLogger("test"))
    pruned, masks = prune(network, method, 0.6, [0, 1])
    settings = {"epochs": 2, "learning_rate": 0.01, "batch_size": 32}
    finetuned, history = finetune_model(images, labels, spec, 0, logging.getLogger("test"), pruned, masks, settings,
                                        unit_level=method == "unit")
    assert len(history) == 2
    for index in (0, 1):
        assert not finetuned.kernels[index][~masks[index]].any()
        assert not np.array_equal(finetuned.kernels[index][masks[index]], pruned.kernels[index][masks[index]])
        if method == "unit":
            removed = ~masks[index].any(axis=0)
            assert not finetuned.biases[index][removed].any()
    assert not np.array_equal(finetuned.kernels[2], pruned.kernels[2])  # the free output layer trains too


def test_round_schedule_raises_k_linearly_and_splits_the_epochs():
    assert round_schedule(0.9, 3, 1) == [(0.9, 3)]
    assert round_schedule(0.9, 5, 3) == [(0.3, 2), (0.6, 2), (0.9, 1)]
    with pytest.raises(ValueError, match="2 rounds need between 1 and 1 epochs"):
        round_schedule(0.9, 1, 2)


@pytest.mark.parametrize("method", ["weight", "unit", "random"])
def test_iterative_pruning_reaches_exactly_k_and_keeps_every_pruned_weight_pruned(tensorflow, method):
    from prunelab.pruning import prune

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    network, _ = train_model(images, labels, spec, seed=0, log=log)
    settings = {"epochs": 2, "rounds": 2, "learning_rate": 0.01, "batch_size": 32}
    finetuned, masks, history = prune_and_finetune(images, labels, spec, 0, log, network, method, 0.75, [0, 1],
                                                   settings)
    assert [(row["round"], row["epoch"]) for row in history] == [(1, 1), (2, 1)]
    _, one_shot_masks = prune(network, method, 0.75, [0, 1])
    for index in (0, 1):
        assert masks[index].sum() == one_shot_masks[index].sum()  # the same count as pruning once
        assert not finetuned.kernels[index][~masks[index]].any()
    assert masks[2] is None
    # the first round pruned to k = 0.375 from the trained weights; its mask is inside the final one
    _, first_round = prune(network, method, 0.375, [0, 1])
    assert all((~first_round[i] <= ~masks[i]).all() for i in (0, 1))


def test_one_round_is_pruning_once_then_fine_tuning(tensorflow):
    from prunelab.pruning import prune

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "epochs": 1}
    network, _ = train_model(images, labels, spec, seed=0, log=log)
    settings = {"epochs": 1, "rounds": 1, "learning_rate": 0.01, "batch_size": 32}
    iterative, _, _ = prune_and_finetune(images, labels, spec, 0, log, network, "weight", 0.5, [0, 1], settings)
    pruned, masks = prune(network, "weight", 0.5, [0, 1])
    once, _ = finetune_model(images, labels, spec, 0, log, pruned, masks, settings, unit_level=False)
    for a, b in zip(iterative.kernels, once.kernels):
        np.testing.assert_array_equal(a, b)
