"""The built-in datasets: MNIST digits and Fashion-MNIST (their files, shapes and checksums)
and CIFAR-10 (:mod:`prunelab.data.cifar10`).

An MNIST-format dataset is identified by the SHA-256 of its four decompressed IDX files, not by
where it came from (:mod:`prunelab.data.sources` says where to look, :mod:`prunelab.data.fetch`
verifies, :mod:`prunelab.data.loading` reads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_SIZES = {"train": 60000, "test": 10000}
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True)
class IDXFile:
    name: str
    sha256: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return 4 + 4 * len(self.shape) + int(np.prod(self.shape))


def _split_files(checksums: dict[str, str]) -> dict[str, IDXFile]:
    files = {}
    for prefix, split in (("train", "train"), ("t10k", "test")):
        n = SPLIT_SIZES[split]
        images, labels = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        files[images] = IDXFile(images, checksums[images], (n, *IMAGE_SHAPE))
        files[labels] = IDXFile(labels, checksums[labels], (n,))
    return files


DATASETS: dict[str, dict[str, IDXFile]] = {
    "digits": _split_files({
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }),
    "fashion": _split_files({
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }),
}

ARCHIVED = ("cifar10",)
"""Built-in datasets placed from an archive as one dataset file (:mod:`prunelab.data.cifar10`)
and read like an own dataset (:mod:`prunelab.data.custom`)."""
BUILT_IN_DATASETS = (*DATASETS, *ARCHIVED)

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def dataset_digest(dataset: str) -> str:
    """One checksum for a whole dataset (of its files' checksums): its identity."""
    import hashlib

    return hashlib.sha256("".join(f.sha256 for f in DATASETS[dataset].values()).encode()).hexdigest()[:16]
