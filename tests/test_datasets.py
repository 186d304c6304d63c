import gzip
from pathlib import Path
import hashlib

import numpy as np
import pytest

from prunelab.data import datasets
from prunelab.data.datasets import IDXFile
from prunelab.data.fetch import DataUnavailableError, fetch_dataset
from prunelab.data.loading import load_split
from prunelab.data.idx import encode_idx


@pytest.fixture
def tiny_dataset(monkeypatch, tmp_path):
    """A registered four-file dataset of 3 training and 2 test images, and a folder holding it gzipped."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.array([5, 0, 4], np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.array([7, 2], np.uint8),
    }
    encoded = {name: encode_idx(a) for name, a in arrays.items()}
    files = {name: IDXFile(name, hashlib.sha256(data).hexdigest(), arrays[name].shape)
             for name, data in encoded.items()}
    monkeypatch.setitem(datasets.DATASETS, "tiny", files)
    source_dir = tmp_path / "mirror"
    source_dir.mkdir()
    for name, data in encoded.items():
        (source_dir / f"{name}.gz").write_bytes(gzip.compress(data))
    return arrays, source_dir


def test_real_checksums_and_sizes_are_registered():
    digits = datasets.DATASETS["digits"]
    assert digits["train-images-idx3-ubyte"].size == 47_040_016
    assert digits["t10k-labels-idx1-ubyte"].size == 10_008
    assert all(len(f.sha256) == 64 for d in datasets.DATASETS.values() for f in d.values())


def test_fetch_from_a_directory_verifies_and_records_provenance(tiny_dataset, tmp_path):
    arrays, source_dir = tiny_dataset
    missing = {"kind": "directory", "path": str(tmp_path / "nowhere")}
    record = fetch_dataset("tiny", [missing, {"kind": "directory", "path": str(source_dir)}], tmp_path / "out")
    assert record["source"] == f"directory {source_dir}"
    assert record["failed_sources"][0]["source"] == f"directory {tmp_path / 'nowhere'}"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(arrays)
    images = (tmp_path / "out" / "train-images-idx3-ubyte").read_bytes()
    assert images == encode_idx(arrays["train-images-idx3-ubyte"])


def test_corrupt_file_fails_its_checksum_and_leaves_nothing(tiny_dataset, tmp_path):
    arrays, source_dir = tiny_dataset
    corrupt = bytearray(gzip.decompress((source_dir / "t10k-images-idx3-ubyte.gz").read_bytes()))
    corrupt[100] ^= 0xFF
    (source_dir / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(corrupt)))
    out = tmp_path / "out"
    with pytest.raises(DataUnavailableError) as error:
        fetch_dataset("tiny", [{"kind": "directory", "path": str(source_dir)}], out)
    assert "t10k-images-idx3-ubyte: checksum mismatch" in str(error.value)
    assert list(out.iterdir()) == []  # no partial file, no staging folder


def test_truncated_gzip_is_rejected(tiny_dataset, tmp_path):
    arrays, source_dir = tiny_dataset
    path = source_dir / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(DataUnavailableError, match="train-labels-idx1-ubyte: (unreadable|checksum mismatch)"):
        fetch_dataset("tiny", [{"kind": "directory", "path": str(source_dir)}], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_when_every_source_fails_the_error_lists_each_with_a_fix(tmp_path):
    sources = [{"kind": "url", "base": "http://127.0.0.1:9/"}, {"kind": "directory", "path": str(tmp_path)},
               {"kind": "debian", "package": "no-such-package-prunelab"}]
    with pytest.raises(DataUnavailableError) as error:
        fetch_dataset("digits", sources, tmp_path / "out", url_timeout=2)
    message = str(error.value)
    assert "could not obtain dataset 'digits'" in message
    for source, hint in [("url http://127.0.0.1:9/", "internet access"), (f"directory {tmp_path}", "apt-get install"),
                         ("debian no-such-package-prunelab", "apt-get update")]:
        assert source in message and hint in message


def test_load_split_checks_shapes(tiny_dataset, tmp_path):
    arrays, source_dir = tiny_dataset
    fetch_dataset("tiny", [{"kind": "directory", "path": str(source_dir)}], tmp_path / "out")
    images, labels = load_split(tmp_path / "out", "tiny", "test")
    np.testing.assert_array_equal(labels, [7, 2])
    assert images.shape == (2, 28, 28)
    with pytest.raises(ValueError, match="is not digits'"):  # not digits' files: their checksums say so first
        load_split(tmp_path / "out", "digits", "test")


def test_a_file_changed_after_fetching_fails_every_read_naming_it_and_the_refetch(tiny_dataset, tmp_path):
    from prunelab.data.loading import ChangedDataError

    arrays, source_dir = tiny_dataset
    fetch_dataset("tiny", [{"kind": "directory", "path": str(source_dir)}], tmp_path / "out")
    path = tmp_path / "out" / "t10k-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-1] + bytes([3]))  # one label changed, the shape intact
    with pytest.raises(ChangedDataError) as error:
        load_split(tmp_path / "out", "tiny", "test")
    assert str(path) in str(error.value) and "--forcerun fetch_data" in str(error.value)
    load_split(tmp_path / "out", "tiny", "train")  # the other split is intact


def make_deb(path, members):
    """A minimal Debian package (ar archive) whose data.tar.gz holds ``members`` {name: bytes}."""
    import io
    import tarfile

    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    parts = [b"!<arch>\n"]
    for name, data in (("debian-binary", b"2.0\n"), ("data.tar.gz", tar_bytes.getvalue())):
        parts.append(f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode())
        parts.append(data + (b"\n" if len(data) % 2 else b""))
    path.write_bytes(b"".join(parts))


def test_debian_packages_unpack_into_the_target(tmp_path):
    from prunelab.data.debian import unpack_deb

    make_deb(tmp_path / "ok.deb", {"./usr/share/datasets/x/file.gz": b"data"})
    unpack_deb(tmp_path / "ok.deb", tmp_path / "out")
    assert (tmp_path / "out" / "usr/share/datasets/x/file.gz").read_bytes() == b"data"


@pytest.mark.parametrize("name", ["../escaped", "a/../../escaped"])
def test_a_malicious_package_cannot_write_outside_its_target(tmp_path, name):
    from prunelab.data.debian import PackageError, unpack_deb

    make_deb(tmp_path / "evil.deb", {name: b"owned"})
    with pytest.raises(PackageError, match="cannot extract"):
        unpack_deb(tmp_path / "evil.deb", tmp_path / "sandbox" / "out")
    assert not (tmp_path / "sandbox" / "escaped").exists() and not (tmp_path / "escaped").exists()


def test_absolute_names_are_kept_inside_the_target(tmp_path):
    from prunelab.data.debian import unpack_deb

    outside = tmp_path / "outside"
    make_deb(tmp_path / "evil.deb", {str(outside): b"owned"})
    unpack_deb(tmp_path / "evil.deb", tmp_path / "out")
    assert not outside.exists()
    assert (tmp_path / "out" / str(outside).lstrip("/")).read_bytes() == b"owned"


def test_a_file_that_is_not_a_package_is_rejected(tmp_path):
    from prunelab.data.debian import PackageError, unpack_deb

    (tmp_path / "fake.deb").write_bytes(b"PK\x03\x04 not an ar archive")
    with pytest.raises(PackageError, match="no ar header"):
        unpack_deb(tmp_path / "fake.deb", tmp_path / "out")


def test_per_channel_standardization_takes_each_channels_statistics_from_the_training_images_only():
    """standardize: per_channel: each channel's mean and deviation over the images after the
    validation split (not the held-out ones, not the test set), recorded in the spec; the given
    form stays as it was."""
    from prunelab.data.loading import features, with_training_statistics

    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (30, 4, 4, 3), dtype=np.uint8)
    images[:10] = 255  # the validation images: left out of the statistics
    spec = {"architecture": {"type": "resnet", "standardize": "per_channel"}, "validation_size": 10,
            "train_size": 15}
    with pytest.raises(ValueError, match="per_channel has no statistics yet"):
        features(spec["architecture"], images)
    resolved = with_training_statistics(spec, images)
    trained_on = images[10:25].astype(np.float64) / 255
    np.testing.assert_allclose(resolved["architecture"]["standardize"]["mean"], trained_on.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(resolved["architecture"]["standardize"]["std"], trained_on.std(axis=(0, 1, 2)))
    x = features(resolved["architecture"], images[10:25])
    np.testing.assert_allclose(x.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=(0, 1, 2)), 1, atol=1e-4)
    grayscale = with_training_statistics({**spec, "train_size": None}, images[..., 0])["architecture"]
    assert len(grayscale["standardize"]["mean"]) == 1 and features(grayscale, images[..., 0]).shape == (30, 4, 4, 1)
    given = {"architecture": {"type": "dense", "standardize": {"mean": 0.1307, "std": 0.3081}}}
    assert with_training_statistics(given, images) is given
