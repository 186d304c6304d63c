"""Training protocols as the papers train: each schedule's rate per epoch, SGD with momentum and
Nesterov's variant over two steps, weight decay's gradient, ids and bit-identical reruns."""

import logging
import math

import numpy as np
import pytest

from prunelab.models.gradients import loss_gradients
from prunelab.models.protocol import learning_rate, protocol


def rates(settings, base=0.1, per_epoch=10, epochs=6):
    """The rate of each epoch's first step."""
    return [learning_rate(protocol(settings), base, epoch * per_epoch, per_epoch, epochs) for epoch in range(epochs)]


def test_every_schedule_gives_the_hand_computed_rate_of_every_epoch():
    assert rates({}) == [0.1] * 6
    step = rates({"schedule": "step", "milestones": [2, 4], "gamma": 0.1})
    assert step == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    cosine = rates({"schedule": "cosine"})  # 60 steps: epoch e starts at step 10 e
    assert cosine == pytest.approx([0.1 * 0.5 * (1 + math.cos(math.pi * 10 * e / 60)) for e in range(6)])
    assert cosine[3] == pytest.approx(0.05)  # half way, half the rate
    inv = rates({"schedule": "inv", "gamma": 0.0001, "power": 0.75})  # Caffe's LeNet solver
    assert inv == pytest.approx([0.1 * (1 + 0.0001 * 10 * e) ** -0.75 for e in range(6)])
    warm = [learning_rate(protocol({"warmup_epochs": 1}), 0.1, step, 10, 6) for step in (0, 4, 9, 10, 50)]
    assert warm == pytest.approx([0.01, 0.05, 0.1, 0.1, 0.1])  # (step + 1) / 10 over the first epoch


TWO_LAYER = {"type": "dense", "hidden": [3], "bias": False}
SPEC = {"model": "dense", "architecture": TWO_LAYER, "regularizer": "none", "strength": 0.0, "epochs": 2,
        "batch_size": 8, "learning_rate": 0.1, "validation_size": 0, "train_size": 8, "threads": 1, "onednn": False}


def by_hand(network, x, labels, lr, momentum, nesterov, weight_decay, steps=2):
    """Keras's SGD (v ← m v − lr g; w ← w + v, or w + m v − lr g with Nesterov) on the mean
    cross-entropy plus weight_decay/2 · |w|², over full-batch steps."""
    kernels = [k.astype(np.float64) for k in network.kernels]
    velocity = [np.zeros_like(k) for k in kernels]
    for _ in range(steps):
        gradients = loss_gradients(network.with_weights(kernels), x, labels)
        gradients = [g + weight_decay * k for g, k in zip(gradients, kernels)]
        velocity = [momentum * v - lr * g for v, g in zip(velocity, gradients)]
        kernels = [k + (momentum * v - lr * g if nesterov else v) for k, v, g in zip(kernels, velocity, gradients)]
    return kernels


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_with_momentum_and_weight_decay_takes_the_hand_computed_steps(tensorflow, nesterov):
    from prunelab.models.training import fit, initial_network

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (8, 28, 28)).astype(np.uint8), rng.integers(0, 10, 8).astype(np.uint8)
    settings = {"optimizer": "sgd", "momentum": 0.9, "nesterov": nesterov, "weight_decay": 0.01}
    start = initial_network(SPEC, 0, images, labels)
    trained, _ = fit(images, labels, spec=SPEC, seed=0, log=logging.getLogger("test"), epochs=2, learning_rate=0.1,
                     batch_size=8, protocol=settings, stop_after_steps=2)
    x = images.reshape(8, -1).astype(np.float32) / np.float32(255)
    expected = by_hand(start, x, labels, 0.1, 0.9, nesterov, 0.01)
    for got, want in zip(trained.kernels, expected):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-6)
    plain = by_hand(start, x, labels, 0.1, 0.9, nesterov, 0.0)
    assert not np.allclose(expected[0], plain[0], rtol=1e-6, atol=0)  # the decay made a difference


def test_sgd_training_is_bit_identical_when_rerun_and_records_each_epochs_rate(tensorflow):
    from prunelab.models.training import train_model

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 300).astype(np.uint8)
    images = rng.integers(0, 40, (300, 28, 28)).astype(np.uint8)
    images[np.arange(300), labels * 2 + 4, :] = 255
    spec = {**SPEC, "architecture": {**TWO_LAYER, "hidden": [16], "bias": True}, "epochs": 3, "batch_size": 32,
            "validation_size": 100, "train_size": 200, "optimizer": "sgd", "momentum": 0.9, "weight_decay": 5e-4,
            "schedule": "step", "milestones": [2], "gamma": 0.1}
    first, history = train_model(images, labels, spec, 0, logging.getLogger("test"))
    again, _ = train_model(images, labels, spec, 0, logging.getLogger("test"))
    for a, b in zip(first.kernels + first.biases, again.kernels + again.biases):
        np.testing.assert_array_equal(a, b)
    assert [row["learning_rate"] for row in history] == pytest.approx([0.1, 0.1, 0.01])


def test_protocols_other_than_adam_at_a_constant_rate_enter_the_ids_and_the_defaults_do_not():
    from prunelab.plumbing.config import validate_config
    from prunelab.plumbing.plan import finetune_ids, training_specs

    default = training_specs(validate_config({"training": {"keep": "val_loss"}}))
    assert "dense-none-e20-271fffeb" in default and all("optimizer" not in s for s in default.values())
    adam = {"keep": "val_loss", "optimizer": "adam", "schedule": "constant"}
    assert default == training_specs(validate_config({"training": adam}))
    sgd = training_specs(validate_config({"training": {"keep": "val_loss", "optimizer": "sgd", "momentum": 0.9}}))
    assert set(sgd).isdisjoint(default) and all(s["momentum"] == 0.9 for s in sgd.values())
    ids = finetune_ids(validate_config({"finetune": {"epochs": [0, 3], "optimizer": "sgd"}}))
    assert list(ids) == ["ft3-lr0.0001-b128-" + list(ids)[0].rsplit("-", 1)[1]]
    assert list(finetune_ids(validate_config({"finetune": {"epochs": [0, 3]}}))) == ["ft3-lr0.0001-b128"]
