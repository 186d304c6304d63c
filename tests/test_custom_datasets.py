"""A researcher's own dataset (custom_datasets): an .npz by file or URL, verified by its SHA-256
when fetched and on every read, every bad file refused naming the file and the array, nothing
placed in the data folder."""

import hashlib
import json
import re

import numpy as np
import pytest

from prunelab.data.custom import CUSTOM_FILE, DatasetFileError, fetch_custom
from prunelab.data.loading import ChangedDataError, load_split
from conftest import loopback


def arrays(**changes):
    rng = np.random.default_rng(0)
    good = {"x_train": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), "y_train": np.arange(40) % 10,
            "x_test": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), "y_test": np.arange(20) % 10}
    return {name: value for name, value in {**good, **changes}.items() if value is not None}


def saved(tmp_path, name="own.npz", **changes):
    path = tmp_path / name
    np.savez(path, **arrays(**changes))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_own_dataset_by_file_is_placed_verified_and_read_as_the_built_ins(tmp_path):
    path, sha256 = saved(tmp_path)
    out = tmp_path / "results" / "data" / "own"
    record = fetch_custom("own", {"file": str(path), "sha256": sha256}, out)
    assert record["image_shape"] == [28, 28] and record["classes"] == 10
    assert record["images"] == {"train": 40, "test": 20} and record["files"][CUSTOM_FILE]["sha256"] == sha256
    (out / "provenance.json").write_text(json.dumps(record))
    images, labels = load_split(out, "own", "test")
    np.testing.assert_array_equal(images, arrays()["x_test"])
    np.testing.assert_array_equal(labels, arrays()["y_test"])
    # the file changed after the fetch: every read fails, naming it and the refetch
    data = (out / CUSTOM_FILE).read_bytes()
    (out / CUSTOM_FILE).write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with pytest.raises(ChangedDataError, match="the file changed after it was fetched; fetch it again with: "
                                               "snakemake --cores 1 --forcerun fetch_custom_data"):
        load_split(out, "own", "train")


def test_an_own_dataset_by_url_is_downloaded_verified(tmp_path):
    rng = np.random.default_rng(1)
    path, sha256 = saved(tmp_path, x_train=rng.uniform(size=(40, 28, 28, 1)).astype(np.float32),
                         x_test=rng.uniform(size=(20, 28, 28, 1)).astype(np.float32))
    with loopback(tmp_path) as base:
        record = fetch_custom("own", {"url": f"{base}/own.npz", "sha256": sha256}, tmp_path / "out", url_timeout=10)
    assert record["source"] == f"{base}/own.npz" and record["image_shape"] == [28, 28, 1]
    assert (tmp_path / "out" / CUSTOM_FILE).read_bytes() == path.read_bytes()
    (tmp_path / "out" / "provenance.json").write_text(json.dumps(record))
    images, _ = load_split(tmp_path / "out", "own", "train")
    from prunelab.data.loading import features  # float32 images are fed as they are, not scaled again
    np.testing.assert_array_equal(features({"type": "cnn"}, images), np.load(path)["x_train"])


def test_colour_images_keep_their_channels_and_grayscale_ones_lose_the_single_channel_axis(tmp_path):
    rng = np.random.default_rng(2)
    for channels, shape in ((3, (40, 28, 28, 3)), (1, (40, 28, 28))):
        path, sha256 = saved(tmp_path, x_train=rng.integers(0, 256, (40, 28, 28, channels), dtype=np.uint8),
                             x_test=rng.integers(0, 256, (20, 28, 28, channels), dtype=np.uint8))
        out = tmp_path / f"out{channels}"
        (out / "provenance.json").parent.mkdir()
        (out / "provenance.json").write_text(json.dumps(fetch_custom("own", {"file": str(path), "sha256": sha256},
                                                                     out)))
        images, _ = load_split(out, "own", "train")
        assert images.shape == shape
        np.testing.assert_array_equal(images.reshape(40, 28, 28, channels), np.load(path)["x_train"])


@pytest.mark.parametrize("changes, message", [
    ({"y_test": None}, "no array 'y_test'; an own dataset holds x_train, y_train, x_test, y_test"),
    ({"y_train": np.arange(39) % 10}, "y_train has shape (39,) for 40 images in x_train: one label per image"),
    ({"y_train": (np.arange(40) % 10).astype(np.float32)}, "y_train is float32; labels are integers"),
    ({"y_test": np.arange(20) % 12}, "y_test holds label 10, outside the training labels 0..9"),
    ({"x_test": np.full((20, 28, 28), np.nan, np.float32)}, "x_test holds NaN or infinite pixels"),
    ({"x_test": np.zeros((20, 27, 28), np.uint8)}, "x_train's images are (28, 28), x_test's (27, 28)"),
    ({"y_train": np.zeros(40, int), "y_test": np.zeros(20, int)}, "y_train has 1 class; a classifier needs at least 2"),
    ({"x_train": np.zeros((40, 28, 28), np.int32)}, "x_train is int32 of shape (40, 28, 28); images are uint8 or"),
], ids=["missing", "lengths", "float-labels", "unseen-label", "nan", "shapes", "one-class", "int-images"])
def test_a_bad_file_is_refused_naming_the_file_and_the_array_and_nothing_is_placed(tmp_path, changes, message):
    path, sha256 = saved(tmp_path, **changes)
    out = tmp_path / "out"
    with pytest.raises(DatasetFileError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        fetch_custom("own", {"file": str(path), "sha256": sha256}, out)
    assert list(out.iterdir()) == []


def test_a_wrong_checksum_says_expected_and_found_and_places_nothing(tmp_path):
    path, sha256 = saved(tmp_path)
    with pytest.raises(DatasetFileError, match=f"SHA-256 {sha256} .* not the expected {'0' * 64} of "
                                               "custom_datasets.own.sha256"):
        fetch_custom("own", {"file": str(path), "sha256": "0" * 64}, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("name", ["y_train", "x_test"])
def test_object_arrays_are_refused_by_name_without_running_pickle(tmp_path, name):
    path = tmp_path / "pickled.npz"
    np.savez(path, **arrays(**{name: np.array([{"label": 1}] * 40, dtype=object)}))
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatasetFileError, match=f"{name} is an object array .*object arrays need pickle, which is "
                                               "never used"):
        fetch_custom("own", {"file": str(path), "sha256": sha256}, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_an_own_dataset_is_configured_by_name_and_checked_before_any_job(tmp_path):
    from prunelab.plumbing.config import ConfigError, validate_config

    path, sha256 = saved(tmp_path)
    config = validate_config({"datasets": ["own", "digits"], "custom_datasets": {"own": {"file": str(path),
                                                                                         "sha256": sha256}},
                              "training": {"validation_size": 10, "batch_size": 8}})
    assert config["datasets"] == ["own", "digits"]
    refused = {
        "custom_datasets.fashion: the name of a built-in dataset": {"fashion": {"file": str(path), "sha256": sha256}},
        "custom_datasets.own.file: no file": {"own": {"file": str(tmp_path / "gone.npz"), "sha256": sha256}},
        "training.validation_size: 10000 of the 40 training images of dataset own leaves 0 to train on":
            {"own": {"file": str(path), "sha256": sha256}},
    }
    for message, entries in refused.items():
        with pytest.raises(ConfigError, match=message.replace("+", r"\+")):
            validate_config({"datasets": [*entries], "custom_datasets": entries})
    with pytest.raises(ConfigError, match="datasets\\[0\\]: 'mine' is not allowed; allowed values: digits, fashion"):
        validate_config({"datasets": ["mine"]})
    colour, colour_sha256 = saved(tmp_path, "colour.npz", x_train=np.zeros((40, 32, 32, 3), np.uint8),
                                  x_test=np.zeros((20, 32, 32, 3), np.uint8))
    with pytest.raises(ConfigError, match=re.escape("models: cnn, on dataset colour: the built-in cnn takes 28x28 "
                                                    "images, not (32, 32, 3)")):
        validate_config({"datasets": ["colour"], "models": ["cnn"], "training": {"validation_size": 10, "batch_size": 8},
                         "custom_datasets": {"colour": {"file": str(colour), "sha256": colour_sha256}}})
    # an N:M pattern checked against the fan-ins each dataset's images give (32x32x3: 3072 inputs, 27 per 3x3 window)
    def n_of_m_problems(model, m):
        with pytest.raises(ConfigError) as refused:
            validate_config({"datasets": ["colour", "digits"], "models": [model], "training": {"validation_size": 10, "batch_size": 8},
                             **({"architectures": {model: {"type": "resnet", "depth": 8}}} if model == "resnet8" else {}),
                             "pruning": {"methods": ["n_of_m"], "n_of_m": [2, m]},
                             "custom_datasets": {"colour": {"file": str(colour), "sha256": colour_sha256}}})
        return re.findall(r"fan-in (\d+) of layer (\d+) of model '\w+' \(on ([\w, ]+)\)", str(refused.value))

    assert n_of_m_problems("dense", 5) == [("3072", "0", "colour"), ("784", "0", "digits")]
    assert n_of_m_problems("resnet8", 4) == [("27", "0", "colour"), ("9", "0", "digits")]


def test_own_datasets_run_end_to_end_with_their_own_shapes_and_classes(own_dataset_smoke):
    """Real images: a Fashion-MNIST subset downloaded from a loopback server, and its first 5
    classes as 32x32x3 float32 images by file. Both trained (an MLP and a researcher's residual
    CNN built for each dataset's images and classes), pruned one-shot, without retraining, at initialization and
    fine-tuned, evaluated on their own test images, reported."""
    import pandas as pd
    from prunelab.models.network import Network

    results = own_dataset_smoke / "results"
    small = json.loads((results / "data" / "small" / "provenance.json").read_text())
    assert small["source"].startswith("http://127.0.0.1:") and small["images"] == {"train": 6000, "test": 2000}
    padded = json.loads((results / "data" / "padded" / "provenance.json").read_text())
    assert padded["image_shape"] == [32, 32, 3] and padded["classes"] == 5
    table = pd.read_csv(results / "metrics.csv")
    assert set(table["method"]) == {"weight", "unit", "snip", "sparsegpt"} and set(table["model"]) == {"mlp", "mine"}
    assert (table.loc[table["dataset"] == "small", "total"] == 2000).all()
    assert (table.loc[table["dataset"] == "padded", "total"] == padded["images"]["test"]).all()
    unpruned = table[(table["k"] == 0) & (table["finetune_epochs"] == 0)]
    assert (unpruned.groupby(["dataset", "model"])["accuracy"].nunique() == 1).all()
    chance = {"small": 0.1, "padded": 0.2}
    assert all(row.accuracy > chance[row.dataset] + 0.2 for row in unpruned.itertuples())  # one epoch learns
    half = table[(table["k"] == 0.5) & (table["model"] == "mlp") & (table["dataset"] == "small")]
    half = half.set_index(["method", "finetune_epochs"])["accuracy"]
    assert half["weight", 1] > half["weight", 0]  # fine-tuning recovers
    for model, first, last in (("mlp", (32 * 32 * 3, 64), (64, 5)), ("mine", (3, 3, 3, 8), (32, 5))):
        [record] = (results / "models" / "padded").glob(f"{model}-*/seed0/train.json")
        network = Network.load(record.parent / "weights.npz", json.loads(record.read_text())["spec"]["architecture"])
        assert network.kernels[0].shape == first and network.kernels[-1].shape == last
    # standardize: per_channel: each channel's statistics over the images it trained on, recorded
    for dataset, channels in (("small", 1), ("padded", 3)):
        [record] = (results / "models" / dataset).glob("mlp-*/seed0/train.json")
        spec = json.loads(record.read_text())["spec"]
        images, _ = load_split(results / "data" / dataset, dataset, "train")
        trained_on = images[spec["validation_size"]:].astype(np.float64)
        trained_on = trained_on / 255 if images.dtype == np.uint8 else trained_on
        np.testing.assert_allclose(spec["architecture"]["standardize"]["mean"],
                                   trained_on.reshape(-1, channels).mean(axis=0), rtol=1e-6)
    html = (results / "report" / "report.html").read_text()
    assert "small" in html and "padded" in html


def test_settings_counted_in_optimizer_steps_take_each_datasets_own_training_images(tmp_path):
    """Gradual pruning's schedule and the lottery's rewind step count optimizer steps: from the
    dataset's own training images (CIFAR-10: 50,000), not MNIST's 60,000; datasets of different
    sizes need one training.train_size for one schedule."""
    from prunelab.plumbing.config import ConfigError, validate_config
    from prunelab.plumbing.plan import Plan

    config = validate_config({"datasets": ["cifar10"], "models": ["dense"], "training": {"validation_size": 5000},
                              "pruning": {"methods": ["gradual"], "gradual": {"epochs": 2}},
                              "finetune": {"batch_size": 100}})
    assert Plan(config).settings["gradual"]["total_steps"] == 2 * 450  # 45,000 images in batches of 100
    with pytest.raises(ConfigError, match="pruning.gradual: its schedule counts optimizer steps, and the datasets "
                                          "train on different numbers of images per epoch \\(digits: 55,000, "
                                          "cifar10: 45,000\\); set training.train_size"):
        validate_config({"datasets": ["digits", "cifar10"], "models": ["dense"], "training": {"validation_size": 5000},
                         "pruning": {"methods": ["gradual"]}})
    validate_config({"datasets": ["digits", "cifar10"], "models": ["dense"],
                     "training": {"validation_size": 5000, "train_size": 1000}, "pruning": {"methods": ["gradual"]}})
    # 20 epochs of 40,000 images (after the default 10,000 validation images) in batches of 128
    with pytest.raises(ConfigError, match="rewind: step 100000 is beyond the training's 6260 steps"):
        validate_config({"datasets": ["cifar10"], "models": ["dense"], "training": {"epochs": 20},
                         "pruning": {"methods": ["lottery"], "lottery": {"rewind": 100000}}})
