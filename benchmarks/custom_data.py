"""What verifying an own dataset and CIFAR-10's archive costs, at CIFAR-10's size.

    make benchmark-custom-data        (PYTHONPATH=workflow python benchmarks/custom_data.py)

An .npz of 50,000 training and 10,000 test 32x32x3 uint8 random images (184 MB, about the 170 MB
of CIFAR-10's archive) is fetched by file (streamed through SHA-256 into a staging file, every
array checked, renamed into place: prunelab.data.custom.fetch_custom) and then read as every
job reads it (SHA-256 again, arrays loaded: prunelab.data.loading.load_split), median of 3 each,
one process, nothing else running. The same images packed as CIFAR-10's binary archive
(prunelab.data.cifar10.write_archive) are fetched as the built-in cifar10 is, from a folder
(SHA-256 of the archive while copying, unpacked with tarfile's data filter, the six batches
parsed, dataset.npz written and checked: prunelab.data.cifar10.fetch_cifar10).
Writes benchmarks/custom_data.json and .md.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from prunelab.data.cifar10 import fetch_cifar10, write_archive
from prunelab.data.custom import fetch_custom
from prunelab.data.loading import load_split

from spread import median_and_runs

OUT = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(0)
    splits = {split: (rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, count))
              for split, count in (("train", 50_000), ("test", 10_000))}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        np.savez(folder / "own.npz", x_train=splits["train"][0], y_train=splits["train"][1],
                 x_test=splits["test"][0], y_test=splits["test"][1])
        size = (folder / "own.npz").stat().st_size
        entry = {"file": str(folder / "own.npz"), "sha256": hashlib.sha256((folder / "own.npz").read_bytes()).hexdigest()}
        fetches, reads = [], []
        for repeat in range(3):
            out = folder / f"data{repeat}"
            started = time.perf_counter()
            record = fetch_custom("own", entry, out)
            fetches.append(time.perf_counter() - started)
            (out / "provenance.json").write_text(json.dumps(record))
            started = time.perf_counter()
            load_split(out, "own", "train")
            reads.append(time.perf_counter() - started)
        write_archive(folder / "cifar-10-binary.tar.gz", splits, compresslevel=1)
        archive = (folder / "cifar-10-binary.tar.gz").stat().st_size
        source = {"kind": "directory", "path": str(folder),
                  "sha256": hashlib.sha256((folder / "cifar-10-binary.tar.gz").read_bytes()).hexdigest()}
        archive_fetches = []
        for repeat in range(3):
            started = time.perf_counter()
            fetch_cifar10([source], folder / f"cifar{repeat}")
            archive_fetches.append(time.perf_counter() - started)
    results = {"date": time.strftime("%Y-%m-%d"), "bytes": size, "fetch_s": [round(t, 3) for t in fetches],
               "read_train_split_s": [round(t, 3) for t in reads], "archive_bytes": archive,
               "archive_fetch_s": [round(t, 3) for t in archive_fetches]}
    (OUT / "custom_data.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Verifying an own dataset of {size / 1e6:.0f} MB ({results['date']})", "",
             "`make benchmark-custom-data` (benchmarks/custom_data.py), nothing else running.", "",
             "| step | seconds, median (runs) |", "|---|---|",
             f"| fetch by file: SHA-256 while copying, every array checked, renamed | "
             f"{median_and_runs(fetches, 2)} |",
             f"| every job's read: SHA-256 again, the training split loaded | "
             f"{median_and_runs(reads, 2)} |",
             f"| CIFAR-10's archive layout ({archive / 1e6:.0f} MB .tar.gz) from a folder: SHA-256 while copying, "
             f"unpacked, parsed, dataset.npz written and checked | {median_and_runs(archive_fetches, 2)} |"]
    (OUT / "custom_data.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
