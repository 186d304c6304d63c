import logging
import math
import os
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from prunelab.data.loading import features, split_train_validation, training_sample
from prunelab.methods.at_init import train_at_init
from prunelab.methods.finetuning import prune_and_finetune, round_schedule
from prunelab.methods.gradual import gradual_prune
from prunelab.methods.lottery import lottery_masks, lottery_round, reinit_seed, rewind_point
from prunelab.methods.pruning import PruningData, prune
from prunelab.methods.registry import BUILT_IN
from prunelab.methods.scratch import train_scratch
from prunelab.methods.selection import count_to_prune
from prunelab.models.masked_training import finetune_model, train_with_masks
from prunelab.models.training import DivergedError, EpochTracker, initial_network, train_model

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


def test_tracker_keeping_the_best_validation_accuracy_keeps_the_earlier_of_a_tie():
    tracker = EpochTracker(logging.getLogger("test"), 4, monitor="val_accuracy")
    for epoch, (val_loss, val_accuracy) in enumerate([(0.5, 0.80), (0.3, 0.85), (0.4, 0.86), (0.2, 0.86)]):
        tracker.record(epoch, {"loss": 1.0, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": val_accuracy},
                       1.0, lambda e=epoch: f"weights {e}")
    assert tracker.best_weights == "weights 2"  # not epoch 4 (same accuracy), nor epoch 4's lower loss
    assert [row["best"] for row in tracker.history] == [True, True, True, False]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_tracker_refuses_a_diverged_epoch(bad):
    tracker = EpochTracker(logging.getLogger("test"), 1)
    with pytest.raises(DivergedError, match="non-finite"):
        tracker.record(0, {"loss": bad, "accuracy": 0.1, "val_loss": 1.0, "val_accuracy": 0.1}, 1.0, list)
    assert tracker.best_weights is None


def test_standardized_features_are_the_unit_range_pixels_shifted_and_scaled():
    images, _ = synthetic_digits(5)
    unit_range = features(DENSE, images)
    standardized = features({**DENSE, "standardize": {"mean": 0.25, "std": 0.5}}, images)
    assert standardized.dtype == np.float32 and unit_range.max() == 1.0
    np.testing.assert_allclose(standardized, (unit_range - 0.25) / 0.5, rtol=1e-6)


@pytest.mark.parametrize("initializer, limit, std", [
    (None, math.sqrt(6 / (784 + 300)), math.sqrt(2 / (784 + 300))),  # Keras's default, glorot_uniform
    ("lecun_uniform", math.sqrt(3 / 784), math.sqrt(1 / 784)),  # Caffe's xavier filler
    # TensorFlow's variance scaling: a normal cut at 2 of its σ, σ widened so the cut one has std √(1/fan-in)
    ("lecun_normal", 2 * math.sqrt(1 / 784) / 0.87962566, math.sqrt(1 / 784)),
    ("he_normal", 2 * math.sqrt(2 / 784) / 0.87962566, math.sqrt(2 / 784)),
])
def test_kernels_start_at_the_initializers_scale_and_biases_at_zero(tensorflow, initializer, limit, std):
    architecture = {"type": "dense", "hidden": [300, 100], "bias": True,
                    **({"initializer": initializer} if initializer else {})}
    initial = initial_network({**SPEC, "architecture": architecture}, 0, *synthetic_digits())
    first = initial.kernels[0]
    assert np.abs(first).max() <= limit * 1.0001 and abs(first.std() / std - 1) < 0.02
    assert all(not bias.any() for bias in initial.biases)
    if initializer is None:  # no key is Keras's default, the same draw as naming it
        named = initial_network({**SPEC, "architecture": {**architecture, "initializer": "glorot_uniform"}}, 0,
                                *synthetic_digits())
        np.testing.assert_array_equal(first, named.kernels[0])


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


@pytest.mark.parametrize("keep", ["val_loss", "val_accuracy", "last"])
def test_training_keeps_the_epoch_its_rule_names(tensorflow, keep):
    """The kept weights are the marked epoch's: their validation accuracy is that epoch's."""
    from prunelab.measuring.evaluation import classification_metrics, predict

    images, labels = synthetic_digits()
    network, history = train_model(images, labels, {**SPEC, "epochs": 4, "keep": keep}, seed=3,
                                   log=logging.getLogger("test"))
    kept = [row for row in history if row["best"]][-1]
    rows = pd.DataFrame(history)
    expected = {"val_loss": rows.loc[rows["val_loss"].idxmin(), "epoch"],
                "val_accuracy": rows.loc[rows["val_accuracy"].idxmax(), "epoch"], "last": 4}[keep]
    assert kept["epoch"] == expected
    measured = classification_metrics(predict(network, features(DENSE, images[:100])), labels[:100])
    assert measured["accuracy"] == pytest.approx(kept["val_accuracy"], abs=1e-6)


def test_bfloat16_training_keeps_float32_weights_and_is_its_own_deterministic_result(tensorflow):
    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "precision": "bfloat16"}
    first, history = train_model(images, labels, spec, seed=3, log=log)
    second, _ = train_model(images, labels, spec, seed=3, log=log)
    full, _ = train_model(images, labels, SPEC, seed=3, log=log)
    assert all(kernel.dtype == np.float32 for kernel in first.kernels)
    for a, b in zip(first.kernels, second.kernels):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.kernels[0], full.kernels[0])
    assert history[-1]["val_accuracy"] > 0.5


def test_bfloat16_computes_hidden_layers_in_bfloat16_and_the_output_in_float32(tensorflow):
    from prunelab.models.keras_models import build_model

    cnn = {"type": "cnn", "conv": [4], "kernel_size": 3, "pool": [True], "hidden": [8], "bias": True}
    model = build_model(tensorflow.keras, cnn, 10, precision="bfloat16")
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
    assert [layer.compute_dtype for layer in model.layers] == ["bfloat16"] * 4 + ["float32"]
    assert all(layer.kernel.dtype == "float32" for layer in weighted)
    assert model(np.zeros((1, 28, 28, 1), np.float32)).dtype == "float32"


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

    images, labels = synthetic_digits()
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    network, _ = train_model(images, labels, spec, seed=0, log=logging.getLogger("test"))
    pruned, masks = prune(network, BUILT_IN[method], 0.6, [0, 1])
    settings = {"epochs": 2, "learning_rate": 0.01, "batch_size": 32}
    finetuned, history = finetune_model(images, labels, spec=spec, seed=0, log=logging.getLogger("test"),
                                        pruned=pruned, masks=masks, settings=settings, unit_level=method == "unit")
    assert len(history) == 2
    for index in (0, 1):
        assert not finetuned.kernels[index][~masks[index]].any()
        assert not np.array_equal(finetuned.kernels[index][masks[index]], pruned.kernels[index][masks[index]])
        if method == "unit":
            removed = ~masks[index].any(axis=0)
            assert not finetuned.biases[index][removed].any()
    assert not np.array_equal(finetuned.kernels[2], pruned.kernels[2])  # the free output layer trains too


def test_round_schedule_raises_k_linearly_and_splits_the_epochs():
    assert round_schedule(0.9, 3, 1) == [(Fraction(9, 10), 3)]
    assert round_schedule(0.9, 5, 3) == [(Fraction(3, 10), 2), (Fraction(6, 10), 2), (Fraction(9, 10), 1)]
    with pytest.raises(ValueError, match="2 rounds need between 1 and 1 epochs"):
        round_schedule(0.9, 1, 2)


@pytest.mark.parametrize("method", ["weight", "unit", "random"])
def test_iterative_pruning_reaches_exactly_k_and_keeps_every_pruned_weight_pruned(tensorflow, method):

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    network, _ = train_model(images, labels, spec, seed=0, log=log)
    settings = {"epochs": 2, "rounds": 2, "learning_rate": 0.01, "batch_size": 32}
    finetuned, masks, history = prune_and_finetune(images, labels, fit_arguments=dict(spec=spec, seed=0, log=log),
                                                   network=network, method=BUILT_IN[method], k=0.75, layers=[0, 1],
                                                   settings=settings)
    assert [(row["round"], row["epoch"]) for row in history] == [(1, 1), (2, 1)]
    _, one_shot_masks = prune(network, BUILT_IN[method], 0.75, [0, 1])
    for index in (0, 1):
        assert masks[index].sum() == one_shot_masks[index].sum()  # the same count as pruning once
        assert not finetuned.kernels[index][~masks[index]].any()
    assert masks[2] is None
    # the first round pruned to k = 0.375 from the trained weights; its mask is inside the final one
    _, first_round = prune(network, BUILT_IN[method], 0.375, [0, 1])
    assert all((~first_round[i] <= ~masks[i]).all() for i in (0, 1))


def test_one_round_is_pruning_once_then_fine_tuning(tensorflow):

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "epochs": 1}
    network, _ = train_model(images, labels, spec, seed=0, log=log)
    settings = {"epochs": 1, "rounds": 1, "learning_rate": 0.01, "batch_size": 32}
    iterative, _, _ = prune_and_finetune(images, labels, fit_arguments=dict(spec=spec, seed=0, log=log),
                                         network=network, method=BUILT_IN["weight"], k=0.5, layers=[0, 1],
                                         settings=settings)
    pruned, masks = prune(network, BUILT_IN["weight"], 0.5, [0, 1])
    once, _ = finetune_model(images, labels, spec=spec, seed=0, log=log, pruned=pruned, masks=masks, settings=settings,
                             unit_level=False)
    for a, b in zip(iterative.kernels, once.kernels):
        np.testing.assert_array_equal(a, b)


def assert_same_network(a, b):
    for x, y in zip(a.kernels + (a.biases or []), b.kernels + (b.biases or [])):
        np.testing.assert_array_equal(x, y)


def test_all_ones_masks_from_the_initialization_train_exactly_like_the_dense_model(tensorflow):
    """Why k = 0 of every method that trains is the trained model itself."""
    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 2}
    dense, _ = train_model(images, labels, spec, seed=5, log=log)
    ones = [np.ones(k.shape, dtype=bool) for k in dense.kernels]
    start = initial_network(spec, 5, images, labels)
    masked, _ = train_with_masks(images, labels, spec=spec, seed=5, log=log, start=start,
                                 masks=ones)
    assert_same_network(dense, masked)


def test_the_rewind_point_replays_the_dense_trainings_first_steps_exactly(tensorflow):
    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "epochs": 3, "validation_size": 0}  # 300 images in batches of 32: 10 steps per epoch
    after_one_epoch, _ = train_model(images, labels, {**spec, "epochs": 1}, seed=2, log=log)
    assert_same_network(rewind_point(images, labels, spec=spec, seed=2, log=log, steps=10), after_one_epoch)
    assert_same_network(rewind_point(images, labels, spec=spec, seed=2, log=log, steps=0),
                        initial_network(spec, 2, images, labels))
    with pytest.raises(ValueError, match="only 30 steps, not 31"):
        rewind_point(images, labels, spec=spec, seed=2, log=log, steps=31)


def test_a_lottery_round_prunes_the_previous_round_and_rewinds_the_survivors_exactly(tensorflow):

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    trained, _ = train_model(images, labels, spec, seed=0, log=log)
    rewind = initial_network(spec, 0, images, labels)
    first, first_masks, _ = lottery_round(images, labels, spec=spec, seed=0, log=log, trained=trained,
                                          previous_masks=None, rewind=rewind, layers=[0, 1], rate=0.2, output_rate=0.1)
    assert [int((~m).sum()) for m in first_masks] == [round(0.2 * 784 * 32), round(0.2 * 32 * 16), 16]
    # round 2 reads round 1's weights and masks; with a learning rate too small to move a float32
    # weight, what comes out is exactly what training started from: the rewound survivors
    frozen = {**spec, "learning_rate": 1e-30}
    second, second_masks, _ = lottery_round(images, labels, spec=frozen, seed=0, log=log, trained=first,
                                            previous_masks=first_masks, rewind=rewind, layers=[0, 1], rate=0.2,
                                            output_rate=0.1)
    expected = lottery_masks(first, first_masks, layers=[0, 1], rate=0.2, output_rate=0.1)
    for index, (mask, kernel) in enumerate(zip(second_masks, second.kernels)):
        np.testing.assert_array_equal(mask, expected[index])
        np.testing.assert_array_equal(kernel, np.where(mask, rewind.kernels[index], 0))
    np.testing.assert_allclose(second.biases[0], rewind.biases[0], atol=1e-25)  # zeros moved by about 1e-30


def test_reinitialization_draws_other_initial_values(tensorflow):
    spec = {**SPEC, "architecture": DENSE}
    images, labels = synthetic_digits()
    assert reinit_seed(0, 1) != reinit_seed(0, 2) != 0
    assert not np.array_equal(initial_network(spec, reinit_seed(0, 1), images, labels).kernels[0],
                              initial_network(spec, 0, images, labels).kernels[0])


def test_gradual_pruning_reaches_exactly_k_and_holds_pruned_weights_at_zero(tensorflow, caplog):

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    trained, _ = train_model(images, labels, spec, seed=0, log=log)
    settings = {"epochs": 3, "learning_rate": 0.003, "batch_size": 32, "initial_sparsity": 0.0, "begin_step": 0,
                "end_step": 15, "total_steps": 3 * 10, "frequency": 4,
                "power": 3}  # 10 steps per epoch: updates at 0, 4, 8, 12, 15
    with caplog.at_level(logging.INFO):
        network, masks, history = gradual_prune(images, labels, spec=spec, seed=0, log=log, network=trained, k=0.8,
                                                layers=[0, 1], settings=settings)
    assert "5 mask updates from step 0 to 15" in caplog.text
    assert [int((~m).sum()) for m in masks[:2]] == [count_to_prune(0.8, 784 * 32), count_to_prune(0.8, 32 * 16)]
    assert masks[2] is None and not network.kernels[0][~masks[0]].any()
    # the schedule ends in epoch 2, so only epochs 2 and 3 (at the final sparsity) can be kept
    assert len(history) == 3 and not history[0]["best"]


def test_pruning_at_initialization_trains_the_masked_initial_network(tensorflow):

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "epochs": 1}
    x, y = training_sample(images, labels, spec, 50, seed=0)
    assert len(x) == 50 and set(np.flatnonzero(np.isin(images.reshape(400, -1)[:100], x).all(axis=1))) == set()
    for method, data in (("snip", PruningData(x=x, labels=y)), ("synflow", PruningData(settings={"rounds": 5}))):
        network, masks, history = train_at_init(images, labels, spec=spec, seed=0, log=log, method=BUILT_IN[method],
                                                k=0.9, layers=[0, 1], data=data)
        _, expected = prune(initial_network(spec, 0, images, labels), BUILT_IN[method], 0.9, [0, 1], data=data)
        for mask, want, kernel in zip(masks, expected, network.kernels):
            assert (mask is None and want is None) or (np.array_equal(mask, want) and not kernel[~mask].any())
        assert len(history) == 1


def test_scratch_trains_the_architecture_unit_pruning_leaves_in_the_dense_shapes(tensorflow):
    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 1}
    trained, _ = train_model(images, labels, spec, seed=0, log=log)
    network, masks, _ = train_scratch(images, labels, spec=spec, seed=0, log=log, trained=trained, k=0.5,
                                      layers=[0, 1])
    assert [k.shape for k in network.kernels] == [k.shape for k in trained.kernels]
    assert [int(m.sum()) for m in masks[:2]] == [784 * 16, 16 * 8] and masks[2] is None
    assert np.count_nonzero(network.kernels[0][:, 16:]) == 0 and np.count_nonzero(network.biases[1][8:]) == 0


def test_scratch_trains_what_unit_leaves_of_a_resnet_anew_and_embeds_it_in_its_shapes(tensorflow):
    """In a graph model scratch trains the model unit pruning leaves (channel groups, compacted),
    built anew from the layers' own configs at the narrowed widths, and places its channels first
    in the trained model's shapes: the embedded model predicts what the small one does."""
    from prunelab.measuring.compaction import compact

    images, labels = synthetic_digits()
    log = logging.getLogger("test")
    spec = {**SPEC, "architecture": {"type": "resnet", "depth": 8}, "regularizer": "none", "strength": 0.0,
            "epochs": 1}
    trained, _ = train_model(images, labels, spec, seed=0, log=log)
    layers = list(range(trained.num_layers - 1))
    network, masks, history = train_scratch(images, labels, spec=spec, seed=0, log=log, trained=trained, k=0.5,
                                            layers=layers)
    assert len(history) == 1 and network.graph == trained.graph
    assert [k.shape for k in network.kernels] == [k.shape for k in trained.kernels]
    unit_pruned = compact(prune(trained, BUILT_IN["unit"], 0.5, layers)[0])
    small = compact(network)
    assert [k.shape for k in small.kernels] == [k.shape for k in unit_pruned.kernels]
    assert [k.shape for k in small.kernels] == [(3, 3, 1, 8), (3, 3, 8, 8), (3, 3, 8, 8), (3, 3, 8, 16), (1, 1, 8, 16),
                                                (3, 3, 16, 16), (3, 3, 16, 32), (1, 1, 16, 32), (3, 3, 32, 32), (32, 10)]
    for mask, kernel in zip(masks[:-1], network.kernels):  # the occupied block: the small model's entries
        assert not kernel[~mask].any() and kernel[mask].all()
    assert masks[-1] is None  # the output layer is not among the pruned ones
    x = features(spec["architecture"], images[:20])
    np.testing.assert_allclose(network.logits(x), small.logits(x), rtol=1e-4, atol=1e-5)


JAX_TRAINING = """
import hashlib, json, logging, sys
import numpy as np
from prunelab.models.training import train_model
rng = np.random.default_rng(0)
labels = rng.integers(0, 10, 400).astype(np.uint8)
images = rng.integers(0, 40, (400, 28, 28)).astype(np.uint8)
images[np.arange(400), labels * 2 + 4, :] = 255
spec = json.loads(sys.argv[1])
network, history = train_model(images, labels, spec, seed=0, log=logging.getLogger("test"))
weights = b"".join(k.tobytes() for k in network.kernels + network.biases)
print(json.dumps({"digest": hashlib.sha256(weights).hexdigest(), "accuracy": history[-1]["val_accuracy"],
                  "tensorflow": "tensorflow" in sys.modules and sys.modules["tensorflow"] is not None}))
"""


@pytest.mark.slow
def test_jax_training_is_bit_identical_across_processes_and_leaves_tensorflow_out():
    import json
    import os
    import subprocess
    import sys

    from conftest import REPO

    spec = json.dumps({**SPEC, "architecture": {**DENSE, "bias": True}, "epochs": 2, "backend": "jax"})
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}  # a fresh process: Keras not yet on a backend
    runs = [json.loads(subprocess.run([sys.executable, "-c", JAX_TRAINING, spec], capture_output=True, text=True,
                                      check=True, env=env).stdout.strip().splitlines()[-1]) for _ in range(2)]
    assert runs[0] == runs[1] and not runs[0]["tensorflow"] and runs[0]["accuracy"] > 0.5


BACKEND_IMPORT = """
import sys
from prunelab.models.backend import import_jax_keras, import_tensorflow
keras = import_jax_keras(1) if sys.argv[1] == "jax" else import_tensorflow(1, False).keras
unused = sorted(name for name in ("jax", "matplotlib") if name in sys.modules)
import matplotlib.pyplot, jax  # still there for whatever needs them afterwards
print(keras.backend.backend(), *unused)
"""


@pytest.mark.slow  # two fresh processes importing a backend
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_importing_a_backend_leaves_out_what_it_does_not_use(backend):
    """TensorFlow and Keras import JAX (TFLite) and matplotlib (image galleries) when installed: a
    second or two of every training job, left out while the backend imports."""
    import os
    import subprocess
    import sys

    from conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    result = subprocess.run([sys.executable, "-c", BACKEND_IMPORT, backend], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == (["tensorflow"] if backend == "tensorflow" else ["jax", "jax"])


CLAIM = """
import json, os, sys, time
from pathlib import Path
from prunelab.plumbing.runtime import claim_cpus
cpus = claim_cpus(int(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"claimed": sorted(cpus) if cpus else None, "bound": sorted(os.sched_getaffinity(0))}), flush=True)
time.sleep(float(sys.argv[3]))
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs at least two CPUs")
def test_jobs_bind_to_cpus_no_other_job_holds_and_share_every_cpu_when_too_few_are_free(tmp_path):
    """What bounds a JAX job's threads (XLA's flags do not): its own free CPUs, held while it runs."""
    import json
    import subprocess
    import sys

    from conftest import REPO

    cpus = sorted(os.sched_getaffinity(0))
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}

    def start(count, seconds):
        job = subprocess.Popen([sys.executable, "-c", CLAIM, str(count), str(tmp_path), str(seconds)],
                               stdout=subprocess.PIPE, text=True, env=env)
        return job, json.loads(job.stdout.readline())

    holders = []
    try:
        first_job, first = start(1, 60)
        holders.append(first_job)
        assert len(first["claimed"]) == 1 and first["bound"] == first["claimed"]
        rest_job, rest = start(len(cpus) - 1, 60)
        holders.append(rest_job)
        assert sorted(first["claimed"] + rest["claimed"]) == cpus and rest["bound"] == rest["claimed"]
        _, late = start(1, 0)  # every CPU held: it runs on all of them rather than crowd one
        assert late == {"claimed": None, "bound": cpus}
        _, whole = start(len(cpus), 0)
        assert whole == {"claimed": None, "bound": cpus}
    finally:
        for job in holders:
            job.kill()
            job.wait()
    _, freed = start(len(cpus) - 1, 0)  # a job's CPUs are free again once it has ended
    assert len(freed["claimed"]) == len(cpus) - 1
