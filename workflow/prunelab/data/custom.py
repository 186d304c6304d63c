"""A researcher's own dataset: ``custom_datasets: {name: {file: images.npz, sha256: ...}}`` or
``{url: https://.../images.npz, sha256: ...}``.

The file holds ``x_train``, ``y_train``, ``x_test`` and ``y_test`` (the layout of Keras's own
``mnist.npz``): images uint8 (scaled by 1/255, as the built-ins) or float32, as (N, H, W) or
(N, H, W, C), and integer labels 0..classes-1. Its SHA-256 is its identity: the fetch job
streams it through SHA-256 into a staging file, checks every array, and only then renames it to
``results/data/{name}/dataset.npz``; every job that reads it checks the SHA-256 again. It is
loaded without pickle. Its classes are 0 to its largest training label; the models take their
input shape and classes from it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..plumbing.user_code import user_file

CUSTOM_FILE = "dataset.npz"
"""The verified file of an own dataset in its data folder."""
ARRAYS = ("x_train", "y_train", "x_test", "y_test")
CHUNK = 1 << 20


class DatasetFileError(ValueError):
    """An own dataset's file that cannot be used; the message names the file and the array."""


def source_of(entry: dict) -> str:
    return entry["file"] if "file" in entry else entry["url"]


def fetch_custom(name: str, entry: dict, out_dir: str | os.PathLike, url_timeout: float = 30) -> dict:
    """Copy or download the dataset ``entry`` describes into ``out_dir``/dataset.npz, verified
    (SHA-256, then every array: :func:`check_arrays`); returns its provenance record. A file that
    fails leaves nothing in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = source_of(entry)
    descriptor, staging = tempfile.mkstemp(prefix=".fetch-", suffix=".npz", dir=out_dir)
    try:
        with _open(entry, url_timeout) as stream, os.fdopen(descriptor, "wb") as out:
            digest, size = copy_hashed(stream, out)
        if digest != entry["sha256"]:
            raise DatasetFileError(f"{source}: SHA-256 {digest} ({size} bytes), not the expected "
                                   f"{entry['sha256']} of custom_datasets.{name}.sha256")
        info = check_arrays(Path(staging).read_bytes(), source)
        os.replace(staging, out_dir / CUSTOM_FILE)
    finally:
        Path(staging).unlink(missing_ok=True)
    return {"dataset": name, "source": source, "failed_sources": [],
            "files": {CUSTOM_FILE: {"sha256": entry["sha256"], "bytes": size}}, **info}


def copy_hashed(stream, out) -> tuple[str, int]:
    """Copy ``stream`` to ``out`` in chunks; the SHA-256 (hex) and the size of what was copied."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


def _open(entry: dict, url_timeout: float):
    if "file" in entry:
        return open(user_file(entry["file"]), "rb")
    import urllib.request  # only a download needs it (and it is slow to import)

    try:
        return urllib.request.urlopen(entry["url"], timeout=url_timeout)  # noqa: S310 (the configured file)
    except OSError as error:
        raise DatasetFileError(f"{entry['url']}: {error}") from error


def _arrays(data: bytes, where: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            missing = [name for name in ARRAYS if name not in archive.files]
            if missing:
                raise DatasetFileError(f"{where}: no array {missing[0]!r}; an own dataset holds "
                                       f"{', '.join(ARRAYS)} (found: {', '.join(archive.files) or 'none'})")
            return {name: _array(archive, name, where) for name in ARRAYS}
    except (OSError, EOFError) as error:  # not a zip of .npy files
        raise DatasetFileError(f"{where}: not a numpy .npz file ({error})") from error


def _array(archive, name: str, where: str) -> np.ndarray:
    """One array of an .npz, read without pickle: an object array is refused, named."""
    try:
        return archive[name]
    except ValueError as error:
        raise DatasetFileError(f"{where}: {name} is an object array ({error}); object arrays need pickle, which is "
                               "never used: save plain numeric arrays") from error


def check_arrays(data: bytes, where: str) -> dict:
    """The shapes and classes of an own dataset's bytes, after refusing, naming the file and the
    array: a missing array, images and labels of different lengths, labels that are not integers
    or fall outside the training labels, images that are not uint8 or float32 (N, H, W[, C]),
    NaN or infinite pixels, train and test images of different shapes, fewer than 2 classes."""
    arrays = _arrays(data, where)
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.dtype not in (np.uint8, np.float32) or images.ndim not in (3, 4):
            raise DatasetFileError(f"{where}: x_{split} is {images.dtype} of shape {images.shape}; images are "
                                   "uint8 or float32, (N, height, width) or (N, height, width, channels)")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DatasetFileError(f"{where}: y_{split} has shape {labels.shape} for {len(images)} images in "
                                   f"x_{split}: one label per image")
        if not np.issubdtype(labels.dtype, np.integer):
            raise DatasetFileError(f"{where}: y_{split} is {labels.dtype}; labels are integers 0..classes-1")
        if images.dtype == np.float32 and not np.isfinite(images).all():
            raise DatasetFileError(f"{where}: x_{split} holds NaN or infinite pixels")
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DatasetFileError(f"{where}: x_train's images are {arrays['x_train'].shape[1:]}, x_test's "
                               f"{arrays['x_test'].shape[1:]}: train and test images must have one shape")
    train_labels, test_labels = arrays["y_train"], arrays["y_test"]
    if len(train_labels) == 0 or train_labels.min() < 0:
        raise DatasetFileError(f"{where}: y_train must hold labels 0..classes-1")
    classes = int(train_labels.max()) + 1
    if classes < 2:
        raise DatasetFileError(f"{where}: y_train has {classes} class; a classifier needs at least 2")
    outside = test_labels[(test_labels < 0) | (test_labels >= classes)]
    if len(outside):
        raise DatasetFileError(f"{where}: y_test holds label {int(outside[0])}, outside the training labels "
                               f"0..{classes - 1}")
    image = arrays["x_train"].shape[1:]
    return {"image_shape": list(image), "classes": classes,
            "images": {"train": len(train_labels), "test": len(test_labels)}}


@dataclass(frozen=True)
class Summary:
    """What the config check needs to know of an own dataset: its training images' count and
    shape, and its classes."""

    train_images: int
    image_shape: tuple[int, ...]
    classes: int

    @property
    def model_input(self) -> tuple[int, ...]:
        """One image as the convolutional and graph models take it: (height, width, channels)."""
        return self.image_shape if len(self.image_shape) == 3 else (*self.image_shape, 1)


def summary(entry: dict) -> Summary | None:
    """A file-based own dataset's :class:`Summary`, from x_train's header and y_train (for the
    config check); ``None`` for a download (known once fetched) or a file that is no .npz of
    these arrays (its fetch says why)."""
    import zipfile

    if "file" not in entry:
        return None
    try:
        with zipfile.ZipFile(user_file(entry["file"])) as archive:
            with archive.open("x_train.npy") as member:
                version = np.lib.format.read_magic(member)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, _, _ = read_header(member)
            with archive.open("y_train.npy") as member:
                labels = np.lib.format.read_array(member, allow_pickle=False)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return Summary(int(shape[0]), tuple(int(side) for side in shape[1:]), int(labels.max()) + 1 if len(labels) else 0)


def load_custom(data_dir: str | os.PathLike, split: str, sha256: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W) — a single channel's axis dropped, as the built-ins' images — or (N, H, W, C),
    and labels of one split, after checking the file against the SHA-256 it was fetched with."""
    from .loading import ChangedDataError

    path = Path(data_dir) / CUSTOM_FILE
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ChangedDataError(
            f"{path}: SHA-256 {digest} is not the {sha256} it was fetched with: the file changed after it was "
            f"fetched; fetch it again with: snakemake --cores 1 --forcerun fetch_custom_data {path.parent}/"
            "provenance.json")
    arrays = _arrays(data, str(path))
    images = arrays[f"x_{split}"]
    return (images[..., 0] if images.ndim == 4 and images.shape[-1] == 1 else images), arrays[f"y_{split}"]
