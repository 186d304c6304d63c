"""CIFAR-10, built in as ``cifar10``: Krizhevsky's binary archive, verified, unpacked safely,
placed as the workflow's dataset file.

The archive ``cifar-10-binary.tar.gz`` (no pickle, unlike the Python version) is the dataset's
identity: its SHA-256 (the checksum TensorFlow Datasets publishes) is fixed here, and a source
only says where to look — a URL folder (upstream by default) or a folder where it was placed by
hand. The fetch streams it through SHA-256 into a staging file, unpacks its six batches with
tarfile's ``data`` filter (no absolute paths, links or devices leave the staging folder), reads
each 10,000-record batch (one label byte, then 32x32 red, green and blue planes of 1,024 bytes
each) and writes x_train (50,000 x 32 x 32 x 3 uint8), y_train, x_test, y_test as the data
folder's ``dataset.npz`` — read, verified on every read, like an own dataset
(:mod:`prunelab.data.custom`).
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .custom import CUSTOM_FILE, Summary, check_arrays, copy_hashed

ARCHIVE = "cifar-10-binary.tar.gz"
SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
BATCHES = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
SIDE, CHANNELS, CLASSES = 32, 3, 10
RECORD = 1 + SIDE * SIDE * CHANNELS
SUMMARY = Summary(50_000, (SIDE, SIDE, CHANNELS), CLASSES)
"""What the config check knows of CIFAR-10 before it is fetched."""


class ArchiveError(RuntimeError):
    """No source delivered the archive verified; the message says what each source did."""


def fetch_cifar10(sources: list[dict], out_dir: str | os.PathLike, url_timeout: float = 30) -> dict:
    """Place CIFAR-10 as ``out_dir``/dataset.npz from the first of ``sources`` (``{kind: url,
    base}``: ``base`` + the archive's name; ``{kind: directory, path}``: the archive in that
    folder) whose archive has CIFAR-10's SHA-256 (or the source's own ``sha256``: an archive
    made for a test); returns its provenance record. Nothing is placed unless every step
    succeeds."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    for source in sources:
        where = source["base"].rstrip("/") + "/" + ARCHIVE if source["kind"] == "url" else str(
            Path(source["path"]) / ARCHIVE)
        sha256 = source.get("sha256", SHA256)
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=out_dir) as staging:
            try:
                size = _download(source["kind"], where, Path(staging) / ARCHIVE, sha256, url_timeout)
                arrays = read_archive(Path(staging) / ARCHIVE, Path(staging) / "unpacked")
                staged = Path(staging) / CUSTOM_FILE
                np.savez(staged, **arrays)
                data = staged.read_bytes()
                info = check_arrays(data, where)
                os.replace(staged, out_dir / CUSTOM_FILE)
            except (ArchiveError, OSError, ValueError, tarfile.TarError) as error:
                failures.append({"source": where, "error": str(error)})
                continue
        return {"dataset": "cifar10", "source": where, "failed_sources": failures,
                "archive": {"name": ARCHIVE, "sha256": sha256, "bytes": size},
                "files": {CUSTOM_FILE: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}, **info}
    raise ArchiveError("CIFAR-10 could not be fetched verified from any source (data.sources.cifar10):\n"
                       + "\n".join(f"  {f['source']}: {f['error']}" for f in failures)
                       + f"\nWithout internet, place {ARCHIVE} (SHA-256 {SHA256}) in a folder and list it: "
                       "data: {sources: {cifar10: [{kind: directory, path: /that/folder}]}}")


def _download(kind: str, where: str, target: Path, sha256: str, url_timeout: float) -> int:
    """Copy the archive at ``where`` to ``target`` through SHA-256; its size, or ArchiveError."""
    if kind == "url":
        import urllib.request  # only a download needs it (and it is slow to import)

        stream = urllib.request.urlopen(where, timeout=url_timeout)  # noqa: S310 (a configured source)
    else:
        stream = open(where, "rb")
    with stream, open(target, "wb") as out:
        digest, size = copy_hashed(stream, out)
    if digest != sha256:
        raise ArchiveError(f"SHA-256 {digest} ({size} bytes), not the expected {sha256}"
                           + (" (CIFAR-10's)" if sha256 == SHA256 else ""))
    return size


def read_archive(archive: Path, folder: Path) -> dict[str, np.ndarray]:
    """The four arrays of CIFAR-10's binary archive, its members unpacked into ``folder`` by
    tarfile's ``data`` filter (which refuses members that would land outside it)."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(folder, filter="data")
    arrays = {}
    for split, names in BATCHES.items():
        images, labels = zip(*(read_batch(_member(folder, name)) for name in names))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = np.concatenate(images), np.concatenate(labels)
    return arrays


def _member(folder: Path, name: str) -> Path:
    found = sorted(path for path in folder.rglob(name) if path.is_file())
    if not found:
        raise ArchiveError(f"the archive holds no {name}")
    return found[0]


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 of one binary batch file."""
    data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if len(data) == 0 or len(data) % RECORD:
        raise ArchiveError(f"{path.name}: {len(data)} bytes is not a whole number of {RECORD}-byte records")
    records = data.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= CLASSES:
        raise ArchiveError(f"{path.name}: label {labels.max()} outside CIFAR-10's 0..{CLASSES - 1}")
    images = records[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def write_archive(path: str | os.PathLike, splits: dict[str, tuple[np.ndarray, np.ndarray]],
                  compresslevel: int = 9) -> None:
    """A ``cifar-10-binary.tar.gz`` in CIFAR-10's layout (what :func:`read_archive` reads) from
    ``splits``: {'train': (images (N, 32, 32, 3) uint8, labels), 'test': ...}, the training
    images cut into the five batches; for tests and benchmarks where the real archive cannot be
    fetched."""
    with tarfile.open(path, "w:gz", compresslevel=compresslevel) as tar:
        for split, names in BATCHES.items():
            images, labels = splits[split]
            for name, chunk in zip(names, np.array_split(np.arange(len(images)), len(names))):
                planes = images[chunk].transpose(0, 3, 1, 2).reshape(len(chunk), -1)
                data = np.concatenate([labels[chunk].astype(np.uint8)[:, None], planes], axis=1).tobytes()
                member = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))
