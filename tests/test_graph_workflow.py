"""A residual network through the real workflow: ResNet-8 (batch norm, projection shortcuts)
trained on Fashion-MNIST, pruned by weight-level, structured, at-initialization and
post-training methods, measured, timed, exported and reported like the built-in models."""

import subprocess
import sys

import numpy as np
import pandas as pd

METHODS = {"weight", "global_weight", "random", "unit", "snip", "synflow", "sparsegpt", "wanda"}


def test_every_method_prunes_a_resnet_and_unit_pruning_really_shrinks_it(resnet_smoke):
    table = pd.read_csv(resnet_smoke / "results" / "metrics.csv")
    assert set(table["method"]) == METHODS and set(table["k"]) == {0.0, 0.5}
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


def test_a_resnet_is_timed_in_numpy_and_onnx_runtime(resnet_smoke):
    latency = pd.read_csv(resnet_smoke / "results" / "latency.csv")
    assert {"numpy", "onnxruntime"} <= set(latency["runtime"])
    assert {"masked", "sparse", "compact"} <= set(latency["form"])
    assert (latency["median_ms"] > 0).all()


def test_trained_and_exported_resnets_load_in_plain_keras(resnet_smoke, tmp_path):
    """model.keras beside the trained weights, and the exported unit-pruned model, load with
    keras.saving.load_model in a Python without prunelab and predict what the workflow measured."""
    [trained] = (resnet_smoke / "results" / "models").rglob("model.keras")
    [exported] = [path for path in (resnet_smoke / "results" / "exported").rglob("k0.5.keras")
                  if path.parent.name == "unit"]
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
    assert exported.stat().st_size < trained.stat().st_size / 2


def test_the_report_shows_the_resnet(resnet_smoke):
    html = (resnet_smoke / "results" / "report" / "report.html").read_text()
    assert "resnet8" in html and "synflow" in html
