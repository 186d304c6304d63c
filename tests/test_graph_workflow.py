"""Graph models through the real workflow: ResNet-8 (batch norm, projection shortcuts) and a
researcher's own residual CNN (tests/custom_model.py, flattened into a dense layer) trained on
Fashion-MNIST, pruned by weight-level, structured, at-initialization and post-training
methods, measured, timed, exported and reported like the built-in models."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

METHODS = {"weight", "global_weight", "random", "unit", "snip", "synflow", "sparsegpt", "wanda"}


def test_every_method_prunes_a_resnet_and_unit_pruning_really_shrinks_it(resnet_smoke):
    table = pd.read_csv(resnet_smoke / "results" / "metrics.csv")
    table = table[table["model"] == "resnet8"]
    assert set(table["method"]) == METHODS and set(table["k"]) == {0.0, 0.5}
    finetuned = table[table["finetune_epochs"] == 1].set_index("method")
    assert list(finetuned.index) == ["unit"]  # finetune.methods
    table = table[table["finetune_epochs"] == 0]
    # the removed channels' batch norms are held at zero while fine-tuning: they stay removable
    assert finetuned.loc["unit", "compact_params"] == table[(table["method"] == "unit") & (table["k"] == 0.5)][
        "compact_params"].iloc[0]
    assert finetuned.loc["unit", "accuracy"] > table[(table["method"] == "unit") & (table["k"] == 0.5)][
        "accuracy"].iloc[0]
    unpruned = table[table["k"] == 0]
    assert unpruned["accuracy"].nunique() == 1 and unpruned["accuracy"].iloc[0] > 0.5  # one epoch learns
    assert (unpruned["total_params"] == 78_426).all()  # ResNet-8 on 28x28x1: kernels, biases, batch norm
    half = table[table["k"] == 0.5].set_index("method")
    assert (half["sparsity"].round(3) == 0.5).all()
    assert half.loc["weight", "accuracy"] > half.loc["random", "accuracy"]
    # channel groups removed together: about a quarter of the parameters are left, and the file shrinks
    assert half.loc["unit", "compact_params"] < 0.3 * unpruned["compact_params"].iloc[0]
    assert half.loc["unit", "size_bytes"] < 0.4 * half.loc["unit", "dense_size_bytes"]
    assert half.loc["unit", "compact_flops"] < 0.3 * unpruned["dense_flops"].iloc[0]
    # weight-level pruning leaves every channel alive: nothing to compact
    assert half.loc["weight", "compact_params"] == unpruned["compact_params"].iloc[0]


def test_a_researchers_own_model_is_trained_pruned_and_compacted_like_a_built_in(resnet_smoke):
    """Its train id begins with its config name; unit pruning removes its conv channels with their
    batch norms and the dense rows they fed through the Flatten, and its own dense units."""
    table = pd.read_csv(resnet_smoke / "results" / "metrics.csv")
    table = table[(table["model"] == "mine") & (table["finetune_epochs"] == 0)]
    assert set(table["method"]) == METHODS and table["train_id"].str.startswith("mine-").all()
    unpruned = table[table["k"] == 0].iloc[0]
    assert unpruned["accuracy"] > 0.5
    unit = table[(table["method"] == "unit") & (table["k"] == 0.5)].iloc[0]
    # the two convs meet in the Add: one group, 8 -> 4 channels (kernels and both batch norms' four
    # variables), 7 x 7 x 4 flattened rows of the 32 -> 16 dense units, the classes untouched
    kept = 3 * 3 * 1 * 4 + 3 * 3 * 4 * 4 + 2 * (4 * 4) + 7 * 7 * 4 * 16 + 16 + 16 * 10 + 10
    assert unit["compact_params"] == kept
    assert unit["compact_flops"] < 0.3 * unpruned["dense_flops"]


def test_a_resnet_is_timed_in_numpy_and_onnx_runtime(resnet_smoke):
    latency = pd.read_csv(resnet_smoke / "results" / "latency.csv")
    assert {"numpy", "onnxruntime"} <= set(latency["runtime"])
    assert {"masked", "sparse", "compact"} <= set(latency["form"])
    assert (latency["median_ms"] > 0).all()


@pytest.mark.parametrize("model", ["resnet8", "mine"])
def test_trained_and_exported_models_load_in_plain_keras(resnet_smoke, tmp_path, model):
    """model.keras beside the trained weights, and the exported unit-pruned model, load with
    keras.saving.load_model in a Python without prunelab and predict what the workflow measured."""
    [trained] = (resnet_smoke / "results" / "models").glob(f"fashion/{model}-*/seed0/model.keras")
    [exported] = (resnet_smoke / "results" / "exported").glob(f"fashion/{model}-*/seed0/*/unit/k0.5.keras")
    from prunelab.data.loading import features, load_split
    from prunelab.measuring.export import load
    from prunelab.models.network import Network, logits
    from prunelab.plumbing.fileio import read_json

    record = read_json(trained.parent / "train.json")
    images, labels = load_split(resnet_smoke / "results" / "data" / "fashion", "fashion", "test")
    x = features(record["spec"]["architecture"], images[:200])
    np.save(tmp_path / "x.npy", x)
    script = ("import sys, numpy as np, keras; m = keras.saving.load_model(sys.argv[1]); "
              "np.save(sys.argv[2], m.predict(np.load(sys.argv[3]), verbose=0))")
    for path, network in ((trained, Network.load(trained.parent / "weights.npz", record["spec"]["architecture"])),
                          (exported, load(exported.with_suffix(".npz")))):
        subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "p.npy"), str(tmp_path / "x.npy")],
                       check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "KERAS_BACKEND": "jax"})
        expected = logits(network, x)
        probabilities = np.exp(expected - expected.max(1, keepdims=True))
        probabilities /= probabilities.sum(1, keepdims=True)
        np.testing.assert_allclose(np.load(tmp_path / "p.npy"), probabilities, rtol=1e-3, atol=1e-5)
    # the saved config and HDF5 layout weigh more beside a tiny model
    assert exported.stat().st_size < trained.stat().st_size * (0.5 if model == "resnet8" else 0.7)


def test_the_report_shows_the_resnet(resnet_smoke):
    html = (resnet_smoke / "results" / "report" / "report.html").read_text()
    assert "resnet8" in html and "synflow" in html
