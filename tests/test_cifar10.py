"""CIFAR-10 built in (prunelab.data.cifar10): its binary archive fetched by URL (a loopback server
here: no machine reaches the upstream one) or from a folder, verified, unpacked safely, placed as
the dataset file and read like any dataset; the real checksum refuses an archive made here."""

import hashlib
import io
import tarfile

import numpy as np
import pytest

from conftest import loopback
from prunelab.data.cifar10 import SHA256, ArchiveError, fetch_cifar10, write_archive
from prunelab.data.custom import CUSTOM_FILE
from prunelab.data.loading import load_split


def made_splits(seed=0):
    rng = np.random.default_rng(seed)
    return {"train": (rng.integers(0, 256, (25, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 25)),
            "test": (rng.integers(0, 256, (7, 32, 32, 3), dtype=np.uint8), np.arange(7) % 10)}


def archive_with_digest(folder, splits):
    path = folder / "cifar-10-binary.tar.gz"
    write_archive(path, splits)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_archive_is_fetched_by_url_verified_and_read_pixel_for_pixel(tmp_path):
    served, out = tmp_path / "served", tmp_path / "data" / "cifar10"
    served.mkdir()
    splits = made_splits()
    _, digest = archive_with_digest(served, splits)
    with loopback(served) as base:
        record = fetch_cifar10([{"kind": "url", "base": f"{base}/gone/"}, {"kind": "url", "base": base,
                                                                             "sha256": digest}], out)
    assert record["source"].endswith("/cifar-10-binary.tar.gz") and len(record["failed_sources"]) == 1
    assert record["image_shape"] == [32, 32, 3] and record["images"] == {"train": 25, "test": 7}
    (out / "provenance.json").write_text(__import__("json").dumps(record))
    for split, (images, labels) in splits.items():
        loaded_images, loaded_labels = load_split(out, "cifar10", split)
        np.testing.assert_array_equal(loaded_images, images)  # channels last, planes put back in place
        np.testing.assert_array_equal(loaded_labels, labels)
    assert sorted(path.name for path in out.iterdir()) == [CUSTOM_FILE, "provenance.json"]


def test_the_real_checksum_refuses_a_made_archive_and_places_nothing(tmp_path):
    archive_with_digest(tmp_path, made_splits())
    out = tmp_path / "data"
    with pytest.raises(ArchiveError, match=f"not the expected {SHA256} \\(CIFAR-10's\\)") as refused:
        fetch_cifar10([{"kind": "directory", "path": str(tmp_path)}], out)
    assert "place cifar-10-binary.tar.gz" in str(refused.value)  # and how, without internet
    assert list(out.iterdir()) == []


def test_an_archive_placed_by_hand_in_a_folder_is_used(tmp_path):
    splits = made_splits(1)
    _, digest = archive_with_digest(tmp_path, splits)
    record = fetch_cifar10([{"kind": "directory", "path": str(tmp_path), "sha256": digest}], tmp_path / "data")
    assert record["failed_sources"] == [] and record["archive"]["sha256"] == digest


def test_a_member_that_would_land_outside_the_folder_or_a_torn_batch_is_refused(tmp_path):
    """tarfile's data filter refuses a path escaping the staging folder; a batch that is not whole
    records is refused by name; either way nothing is placed."""
    for case, name, data in (("escape", "../escaped.bin", b"x"),
                             ("torn", "cifar-10-batches-bin/data_batch_1.bin", bytes(100))):
        folder = tmp_path / case
        folder.mkdir()
        path = folder / "cifar-10-binary.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with pytest.raises(ArchiveError, match="outside the destination|not a whole number of 3073-byte records"):
            fetch_cifar10([{"kind": "directory", "path": str(folder), "sha256": digest}], folder / "data")
        assert list((folder / "data").iterdir()) == [] and not (tmp_path / "escaped.bin").exists()


def test_cifar10_is_a_dataset_the_config_knows_before_it_is_fetched():
    from prunelab.plumbing.config import ConfigError, dataset_summary, validate_config

    config = validate_config({"datasets": ["cifar10"], "models": ["resnet20"],
                              "architectures": {"resnet20": {"type": "resnet", "depth": 20}}})
    assert dataset_summary(config, "cifar10").model_input == (32, 32, 3)
    assert config["data"]["sources"]["cifar10"] == [{"kind": "url", "base": "https://www.cs.toronto.edu/~kriz/"}]
    with pytest.raises(ConfigError, match="the built-in cnn takes 28x28 images, not \\(32, 32, 3\\)"):
        validate_config({"datasets": ["cifar10"], "models": ["cnn"]})
    with pytest.raises(ConfigError, match="data.sources.cifar10"):
        validate_config({"data": {"sources": {"cifar10": [{"kind": "debian", "package": "cifar"}]}}})


def test_the_cifar10_presets_run_end_to_end_on_a_loopback_archive(cifar10_smoke):
    """ResNet-20 and VGG-16 with the presets' protocol (SGD on a step schedule, crop + flip, the
    last epoch kept) on 32x32x3 images fetched as CIFAR-10's archive: ResNet-20's preset's methods
    but those at initialization, and VGG-16 by weight and unit, give rows, evaluated on the archive's
    100 test images, reported beside the published figures."""
    import json

    import pandas as pd

    results = cifar10_smoke / "results"
    fetched = json.loads((results / "data" / "cifar10" / "provenance.json").read_text())
    assert fetched["source"].startswith("http://127.0.0.1:") and fetched["image_shape"] == [32, 32, 3]
    assert fetched["images"] == {"train": 400, "test": 100} and fetched["archive"]["bytes"] > 0
    expected = {"cifar10-resnet20": ({"weight", "global_weight", "random", "unit", "lottery"},
                                     {"unit"}),
                "cifar10-vgg16": ({"weight", "unit"}, set())}
    for preset, (methods, finetuned) in expected.items():
        table = pd.read_csv(results / preset / "metrics.csv")
        assert set(table["method"]) == methods and (table["total"] == 100).all()
        assert set(table.loc[table["finetune_epochs"] > 0, "method"]) == finetuned
        [record] = (results / "models" / "cifar10").glob(f"{preset.split('-')[1]}-*/seed0/train.json")
        trained = json.loads(record.read_text())
        assert trained["spec"]["augment"] == {"crop": 4, "flip": True, "version": 2} and trained["kept_epoch"] == 2
        html = (results / preset / "report" / "report.html").read_text()
        assert "He et al. 2016" in html if preset.endswith("resnet20") else "Li et al. 2017" in html


@pytest.mark.slow
def test_a_validation_split_leaving_no_training_images_fails_the_first_training_job_and_writes_nothing(tmp_path):
    """A download's image count is known only once fetched: its first training job refuses a
    validation split that leaves fewer than one batch, naming the key, the dataset and its count."""
    from conftest import extra_config, snakemake

    splits = {"train": tuple(np.concatenate([part] * 4) for part in made_splits()["train"]),
              "test": made_splits()["test"]}
    _, digest = archive_with_digest(tmp_path, splits)  # 100 training images
    config = extra_config(tmp_path, f"datasets: [cifar10]\nmodels: [small]\narchitectures: {{small: {{type: dense, "
                                    f"hidden: [8]}}}}\nregularizers: [none]\nseeds: [0]\n"
                                    f"data: {{sources: {{cifar10: [{{kind: directory, path: '{tmp_path}', "
                                    f"sha256: {digest}}}]}}}}\ntraining: {{epochs: 1, validation_size: 100}}\n"
                                    f"pruning: {{methods: [weight], k: [0]}}\n")
    result = snakemake(tmp_path / "work", "--cores", "1", configfiles=(config,))
    assert result.returncode != 0
    logs = "".join(path.read_text() for path in (tmp_path / "work" / "results" / "logs" / "train").rglob("*.log"))
    expected = ("training.validation_size: 100 of the 100 training images of dataset cifar10 leaves 0 to train on, "
                "fewer than one batch (training.batch_size 128)")
    assert expected in result.stderr + logs
    assert not list((tmp_path / "work" / "results").glob("models/**/*.*"))
