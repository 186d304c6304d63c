"""Graph models through the real workflow: ResNet-8 (batch norm, projection shortcuts), a
researcher's own residual CNN (tests/custom_model.py, flattened into a dense layer) trained on
Fashion-MNIST, and a model trained outside the workflow (tests/train_elsewhere.py), pruned by
weight-level, structured, at-initialization and post-training methods, measured, timed, exported
and reported like the built-in models."""


import pandas as pd
import pytest

from conftest import load_in_plain_keras

METHODS = {"weight", "global_weight", "random", "unit", "snip", "synflow", "sparsegpt", "wanda", "unit_refit",
           "scratch", "network_slimming"}


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
    assert (half.drop(index=["unit_refit", "scratch"])["sparsity"].round(3) == 0.5).all()
    assert half.loc["weight", "accuracy"] > half.loc["random", "accuracy"]
    # channel groups removed together: about a quarter of the parameters are left, and the file shrinks
    assert half.loc["unit", "compact_params"] < 0.3 * unpruned["compact_params"].iloc[0]
    assert half.loc["unit", "size_bytes"] < 0.4 * half.loc["unit", "dense_size_bytes"]
    assert half.loc["unit", "compact_flops"] < 0.3 * unpruned["dense_flops"].iloc[0]
    # weight-level pruning leaves every channel alive: nothing to compact
    assert half.loc["weight", "compact_params"] == unpruned["compact_params"].iloc[0]
    # a researcher's channel method (network slimming: tests/custom_method.py) removes the same
    # number of channels of every group as unit, chosen by the batch norms' |γ|
    assert half.loc["network_slimming", "compact_params"] == half.loc["unit", "compact_params"]
    assert half.loc["network_slimming", "accuracy"] != half.loc["unit", "accuracy"]
    # unit_refit halves each block's inner channels alone (read by the block's second conv, refitted):
    # 8 of 16, 16 of 32, 32 of 64 go with their first-conv filters, second-conv inputs and batch norms
    removed = 3 * 3 * (16 * 8 + 8 * 16) + 3 * 3 * (16 * 16 + 16 * 32) + 3 * 3 * (32 * 32 + 32 * 64) + 4 * (8 + 16 + 32)
    assert 0 < half.loc["unit_refit", "sparsity"] < 0.5
    assert half.loc["unit_refit", "compact_params"] == unpruned["compact_params"].iloc[0] - removed
    # scratch trains anew the architecture unit leaves: the same parameters, and it learns
    assert half.loc["scratch", "compact_params"] == half.loc["unit", "compact_params"]
    assert half.loc["scratch", "accuracy"] > 0.3 > half.loc["unit", "accuracy"]


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
    scratch = table[(table["method"] == "scratch") & (table["k"] == 0.5)].iloc[0]
    assert scratch["compact_params"] == kept  # unit's architecture, trained anew
    assert unit["compact_flops"] < 0.3 * unpruned["dense_flops"]


def test_a_resnet_is_timed_in_numpy_and_onnx_runtime(resnet_smoke):
    latency = pd.read_csv(resnet_smoke / "results" / "latency.csv")
    assert {"numpy", "onnxruntime"} <= set(latency["runtime"])
    assert {"masked", "sparse", "compact"} <= set(latency["form"])
    assert (latency["median_ms"] > 0).all()


@pytest.fixture(scope="module")
def resnet_models_in_plain_keras(resnet_smoke, tmp_path_factory):
    return load_in_plain_keras(resnet_smoke, ("resnet8", "mine"), tmp_path_factory.mktemp("plain-keras"))


@pytest.mark.parametrize("model", ["resnet8", "mine"])
def test_trained_and_exported_modelsload_in_plain_keras(resnet_models_in_plain_keras, model):
    """model.keras beside the trained weights, and the exported unit-pruned model, load with
    keras.saving.load_model in a Python without prunelab and predict what the workflow measured."""
    trained, exported = resnet_models_in_plain_keras[model]
    # the saved config and HDF5 layout weigh more beside a tiny model
    assert exported.stat().st_size < trained.stat().st_size * (0.5 if model == "resnet8" else 0.7)


def test_keras_applications_mobilenetv2_is_trained_pruned_compacted_and_exported(own_dataset_smoke, tmp_path):
    """A researcher's build function returning keras.applications' MobileNetV2 (alpha 0.35;
    tests/smoke-applications.yaml) on 32x32x3 images: trained by the workflow, pruned by weight,
    unit and sparsegpt; unit's channel groups, run through its depthwise convolutions, compact it
    to under a third of its parameters, into a .keras that loads in plain Keras and predicts what
    the workflow's engine does (so does the trained model)."""
    table = pd.read_csv(own_dataset_smoke / "results" / "applications" / "metrics.csv")
    assert set(table["method"]) == {"weight", "unit", "sparsegpt"} and table["train_id"].str.startswith("mobilenet-").all()
    unpruned, half = table[table["k"] == 0].iloc[0], table[table["k"] == 0.5].set_index("method")
    assert unpruned["total_params"] == 423_018 - 1280 * 5 - 5  # 5 classes, not 10
    assert (half["sparsity"].round(3) >= 0.5).all() and (half["total"] == unpruned["total"]).all()
    assert half.loc["unit", "compact_params"] < unpruned["compact_params"] / 3
    # weight-level pruning leaves almost every channel: one whose weights were all among the smallest goes
    assert 0.999 * unpruned["compact_params"] < half.loc["weight", "compact_params"] <= unpruned["compact_params"]
    # on TensorFlow: JAX compiles each of its 156 layers (25 s against 11 s for the two files, measured)
    trained, exported = load_in_plain_keras(own_dataset_smoke, ("mobilenet",), tmp_path, dataset="padded",
                                             backend="tensorflow")["mobilenet"]
    assert exported.stat().st_size < 0.5 * trained.stat().st_size


def test_a_model_trained_elsewhere_is_pruned_as_it_was_saved(imported_smoke, tmp_path):
    """The workflow's unpruned model is the researcher's file: the same test accuracy and loss as
    Keras measured on the model it saved; filed once (regularizer none) under its own id; pruned,
    fine-tuned, gradually pruned and exported like a model trained here."""
    import hashlib
    import json

    keras_metrics = json.loads((imported_smoke / "keras_metrics.json").read_text())
    table = pd.read_csv(imported_smoke / "results" / "metrics.csv")
    assert table["train_id"].str.fullmatch(r"theirs-imported-[0-9a-f]{8}").all() and table["train_id"].nunique() == 1
    assert set(table["regularizer"]) == {"none"}
    [record] = (imported_smoke / "results" / "models").glob("fashion/theirs-*/seed0/train.json")
    architecture = json.loads(record.read_text())["spec"]["architecture"]
    assert architecture["sha256"] == hashlib.sha256((imported_smoke / "trained.keras").read_bytes()).hexdigest()
    one_shot = table[table["finetune_epochs"] == 0]
    unpruned = one_shot[one_shot["k"] == 0]
    assert set(unpruned["method"]) == {"weight", "global_weight", "random", "unit", "sparsegpt"}
    assert unpruned["accuracy"].nunique() == 1
    assert abs(unpruned["accuracy"].iloc[0] - keras_metrics["accuracy"]) <= 2e-4  # at most 2 of 10,000 images
    assert unpruned["loss"].iloc[0] == pytest.approx(keras_metrics["loss"], rel=1e-5)
    half = one_shot[one_shot["k"] == 0.5].set_index("method")
    assert half.loc["weight", "accuracy"] > half.loc["random", "accuracy"]
    assert half.loc["unit", "compact_params"] < 0.5 * unpruned["compact_params"].iloc[0]
    finetuned = table[(table["method"] == "unit") & (table["finetune_epochs"] == 1)]
    assert finetuned["accuracy"].iloc[0] > half.loc["unit", "accuracy"]
    gradual = table[(table["method"] == "gradual") & (table["k"] == 0.5)]
    assert gradual["sparsity"].round(3).iloc[0] == 0.5
    load_in_plain_keras(imported_smoke, ("theirs",), tmp_path)


def test_the_report_shows_the_resnet(resnet_smoke):
    html = (resnet_smoke / "results" / "report" / "report.html").read_text()
    assert "resnet8" in html and "synflow" in html
