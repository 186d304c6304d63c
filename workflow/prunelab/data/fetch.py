"""Fetching a dataset verified: every file streams through SHA-256 into a staging folder, and
only a complete, verified set is renamed into place."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from .datasets import DATASETS, IDXFile
from .sources import HINTS, SourceError, describe_source, open_source

CHUNK = 1 << 20


class DataUnavailableError(RuntimeError):
    """No configured source delivered the dataset."""


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
