"""Attention models through the real workflow: the built-in ViT and a researcher's own transformer
(tests/attention_model.py: a strided-convolution patch embedding, self-attention, a GELU MLP, layer
norms and residual sums) trained one epoch on Fashion-MNIST, pruned by magnitude, Wanda, SparseGPT
and unit, compacted, exported and loaded in plain Keras."""

import pandas as pd
import pytest

from conftest import load_in_plain_keras
from prunelab.models.network import Network
from prunelab.models.pruned_file import load_pruned
from prunelab.plumbing.fileio import read_json


@pytest.fixture(scope="module")
def metrics(attention_smoke):
    table = pd.read_csv(attention_smoke / "results" / "metrics.csv")
    return table[table["finetune_epochs"] == 0]


@pytest.mark.parametrize("model", ["vit", "mine"])
def test_every_method_prunes_an_attention_model(metrics, model):
    table = metrics[metrics["model"] == model]
    assert set(table["method"]) == {"weight", "wanda", "sparsegpt", "unit"} and set(table["k"]) == {0.0, 0.5}
    unpruned = table[table["k"] == 0].iloc[0]
    assert unpruned["accuracy"] > 0.3  # one epoch of 2000 images: well above chance (0.1)
    half = table[table["k"] == 0.5].set_index("method")
    # the weight-level methods remove half of every pruned kernel (the patch embedding, the attention's
    # four projections, the MLP's two layers; not the classifier)
    assert (half.loc[["weight", "wanda", "sparsegpt"], "sparsity"].round(3) == 0.5).all()
    assert (half["accuracy"] > 0.1).all()
    # SparseGPT and Wanda, which see the layers' inputs, lose less than magnitude pruning or as little
    assert half.loc["sparsegpt", "loss"] <= half.loc["weight", "loss"] * 1.05


@pytest.mark.parametrize("method", ["weight", "wanda", "sparsegpt"])
def test_the_attentions_projections_are_pruned_as_matrices(metrics, attention_smoke, method):
    """Each of the attention's projections, its query, key, value and output kernels (each a matrix
    in the engine: 32 features x 2 heads of 16, and back), loses half its weights."""
    row = metrics[(metrics["model"] == "vit") & (metrics["method"] == method) & (metrics["k"] == 0.5)].iloc[0]
    trained = attention_smoke / "results" / "models" / "fashion" / row["train_id"] / "seed0"
    network = Network.load(trained / "weights.npz", read_json(trained / "train.json")["spec"]["architecture"])
    pruned = load_pruned(attention_smoke / "results" / "pruned" / "fashion" / row["train_id"] / "seed0" /
                         "all_but_output" / method / "k0.5.npz", network)
    for part in ("query", "key", "value", "attention_output"):
        kernel = pruned.weights[f"block1_attention/{part}"]["kernel"]
        assert kernel.shape == (32, 32)  # dim x heads·key_dim (2 x 16), and back
        assert (kernel == 0).mean() == 0.5, part


def test_unit_removes_heads_and_mlp_neurons_and_the_compact_model_loads_in_plain_keras(metrics, attention_smoke,
                                                                                     tmp_path):
    """unit removes one of the attention's two heads (its query, key and value units with their
    biases, its rows of the output projection) and half of each block's MLP neurons (a first-layer
    unit with its row of the second); the residual stream stays whole. The compacted model is
    smaller and predicts in plain Keras what the workflow's engine does."""
    # a head: 3 x (32 inputs x 16 units + 16 biases) and 16 rows of 32; 32 of fc1's 64 neurons:
    # their 32 kernel columns of 32 inputs, their biases and their rows of fc2
    removed = 3 * (32 * 16 + 16) + 16 * 32 + 32 * 32 + 32 + 32 * 32
    for model in ("mine", "vit"):
        unit = metrics[(metrics["model"] == model) & (metrics["method"] == "unit")].set_index("k")
        assert unit.loc[0.0, "compact_params"] - unit.loc[0.5, "compact_params"] == removed, model
    files = load_in_plain_keras(attention_smoke, ("vit", "mine"), tmp_path)
    for trained, exported in files.values():
        assert exported.stat().st_size < trained.stat().st_size
