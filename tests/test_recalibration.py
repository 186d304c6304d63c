"""Batch-norm recalibration after pruning: statistics against a hand computation and Keras's own
training-mode batch norm, a recalibrated unit-pruned ResNet compacted, the config's refusals, and
the workflow's recalibrated prune jobs on the ResNet smoke run."""

import numpy as np
import pandas as pd
import pytest

from conftest import RESNET_SMOKE, snakemake
from prunelab.measuring.compaction import compact
from prunelab.methods.pruning import prune
from prunelab.methods.registry import BUILT_IN
from prunelab.models.graph import run
from prunelab.models.network import Network
from prunelab.models.recalibration import recalibrate, recalibrated_layers
from prunelab.plumbing.config import ConfigError, validate_config
from test_graph import _randomized
from test_workflow import extra_config


def test_recalibrated_statistics_are_the_inputs_mean_and_variance(tensorflow):
    """A conv, a batch norm, a classifier: after recalibration the batch norm holds the mean and
    (biased) variance of the conv's outputs over the images and positions, normalizes with
    Keras's epsilon, and computes what Keras's batch norm computes in training mode on them."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    inputs = keras.Input((6, 6, 2))
    conv = keras.layers.Conv2D(3, 3, name="conv")(inputs)
    normalized = keras.layers.BatchNormalization(name="bn", epsilon=0.01)(conv)
    outputs = keras.layers.Dense(4, activation="softmax", name="out")(
        keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(normalized)))
    model = _randomized(keras, keras.Model(inputs, outputs))
    graph, weights = graph_of(model)
    network = Network({"type": "custom"}, graph, weights)
    x = np.random.default_rng(3).normal(size=(20, 6, 6, 2)).astype(np.float32)
    assert recalibrated_layers(network) == ["bn"]

    recalibrated = recalibrate(network, x)
    features = run(graph, weights, x, until="conv", logits=False).reshape(-1, 3).astype(np.float64)
    mean, variance = features.mean(axis=0), ((features - features.mean(axis=0)) ** 2).mean(axis=0)
    bn = recalibrated.weights["bn"]
    np.testing.assert_allclose(bn["moving_mean"], mean, rtol=1e-6)
    np.testing.assert_allclose(bn["moving_variance"], variance, rtol=1e-5)
    by_hand = (features - mean) / np.sqrt(variance + 0.01) * weights["bn"]["gamma"] + weights["bn"]["beta"]
    output = run(graph, recalibrated.weights, x, until="bn", logits=False).reshape(-1, 3)
    np.testing.assert_allclose(output, by_hand, rtol=1e-4, atol=1e-5)
    keras_training = model.get_layer("bn")(run(graph, weights, x, until="conv", logits=False), training=True)
    np.testing.assert_allclose(output, np.asarray(keras_training).reshape(-1, 3), rtol=1e-4, atol=1e-5)
    assert all(np.array_equal(recalibrated.weights[name][key], weights[name][key]) for name in weights
               for key in weights[name] if name != "bn")  # nothing else moves


def test_a_recalibrated_unit_pruned_resnet_compacts_and_predicts_as_the_masked_one(tensorflow):
    keras = tensorflow.keras
    from prunelab.models.keras_models import build_resnet, graph_of

    model = _randomized(keras, build_resnet(keras, {"type": "resnet", "depth": 8}, (16, 16, 3), 10))
    graph, weights = graph_of(model)
    network = Network({"type": "custom"}, graph, weights)
    pruned, _ = prune(network, BUILT_IN["unit"], 0.5, list(range(network.num_layers)))
    rng = np.random.default_rng(4)
    recalibrated = recalibrate(pruned, rng.uniform(size=(64, 16, 16, 3)).astype(np.float32))
    assert len(recalibrated_layers(pruned)) == 9  # the stem, two per block, two projection shortcuts
    changed = [name for name in recalibrated_layers(pruned)
               if not np.array_equal(recalibrated.weights[name]["moving_mean"], pruned.weights[name]["moving_mean"])]
    assert changed == recalibrated_layers(pruned)
    small = compact(recalibrated)
    assert sum(a.size for a in small.parameters()) < sum(a.size for a in recalibrated.parameters()) / 2
    x = rng.uniform(size=(16, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(small.logits(x), recalibrated.logits(x), rtol=1e-4, atol=1e-5)


def test_recalibration_is_refused_for_models_without_batch_norms_and_beside_training():
    with pytest.raises(ConfigError) as error:
        validate_config({"models": ["dense"], "pruning": {"recalibrate": "batchnorm"}})
    assert ("pruning.recalibrate: batchnorm re-estimates batch norms, and dense hold none; recalibrate models with "
            "batch norms (a ResNet, a VGG, your own) in a config of their own") in str(error.value)
    with pytest.raises(ConfigError) as error:
        validate_config({"models": ["resnet20"], "architectures": {"resnet20": {"type": "resnet", "depth": 20}},
                         "pruning": {"recalibrate": "batchnorm", "methods": ["weight", "lottery"]},
                         "finetune": {"epochs": [0, 3]}})
    assert ("pruning.recalibrate: re-estimates the statistics of one-shot pruned models, and training re-estimates "
            "them itself (lottery): run those in a config without recalibrate") in str(error.value)


def test_recalibrated_prune_jobs_on_the_resnet_smoke_run(resnet_smoke, tmp_path):
    """ResNet-8 and a researcher's own residual CNN pruned by weight and unit, recalibrated: their
    rows sit in a scope of their own, beside the same models without recalibration, and
    recalibration changes the one-shot accuracy where pruning moved the statistics."""
    extra = extra_config(tmp_path, "name: recalibrated\npruning: {methods: [weight, unit], recalibrate: batchnorm, "
                                   "recalibration_images: 256}\nfinetune: {epochs: [0]}\n"
                                   "efficiency: {latency_batch_sizes: [], export: false}\n")
    result = snakemake(resnet_smoke, "--cores", "2", "results/recalibrated/metrics.csv",
                       configfiles=(RESNET_SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    recalibrated = pd.read_csv(resnet_smoke / "results" / "recalibrated" / "metrics.csv")
    plain = pd.read_csv(resnet_smoke / "results" / "metrics.csv")
    assert set(recalibrated["layers"]) == {"all_but_output_recalibrated"}
    key = ["train_id", "method", "k"]
    both = recalibrated.merge(plain[(plain["finetune_epochs"] == 0) & plain["method"].isin(["weight", "unit"])],
                              on=key, suffixes=("", "_plain"))
    assert len(both) == len(recalibrated) == 2 * 2 * 2  # models x methods x k
    unpruned = both[both["k"] == 0]
    assert (unpruned["accuracy"] == unpruned["accuracy_plain"]).all()  # k = 0: the trained model as is
    pruned = both[both["k"] == 0.5]
    assert (pruned["sparsity"] == pruned["sparsity_plain"]).all()  # the same weights removed
    assert (pruned["accuracy"] != pruned["accuracy_plain"]).any()
