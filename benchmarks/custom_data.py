"""What verifying an own dataset costs, for a CIFAR-10-sized file.

    make benchmark-custom-data        (PYTHONPATH=workflow python benchmarks/custom_data.py)

An .npz of 50,000 training and 10,000 test 32x32x3 uint8 random images (184 MB, about the 170 MB
of CIFAR-10's archive) is fetched by file (streamed through SHA-256 into a staging file, every
array checked, renamed into place: prunelab.data.custom.fetch_custom) and then read as every
job reads it (SHA-256 again, arrays loaded: prunelab.data.loading.load_split), median of 3 each,
one process, nothing else running. Writes benchmarks/custom_data.json and .md.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from prunelab.data.custom import fetch_custom
from prunelab.data.loading import load_split

OUT = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        np.savez(folder / "own.npz", x_train=rng.integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8),
                 y_train=rng.integers(0, 10, 50_000), x_test=rng.integers(0, 256, (10_000, 32, 32, 3), dtype=np.uint8),
                 y_test=rng.integers(0, 10, 10_000))
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
    results = {"date": time.strftime("%Y-%m-%d"), "bytes": size, "fetch_s": [round(t, 3) for t in fetches],
               "read_train_split_s": [round(t, 3) for t in reads]}
    (OUT / "custom_data.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Verifying an own dataset of {size / 1e6:.0f} MB ({results['date']})", "",
             "`make benchmark-custom-data` (benchmarks/custom_data.py), nothing else running.", "",
             "| step | seconds, median (runs) |", "|---|---|",
             f"| fetch by file: SHA-256 while copying, every array checked, renamed | "
             f"{statistics.median(fetches):.2f} ({', '.join(f'{t:.2f}' for t in fetches)}) |",
             f"| every job's read: SHA-256 again, the training split loaded | "
             f"{statistics.median(reads):.2f} ({', '.join(f'{t:.2f}' for t in reads)}) |"]
    (OUT / "custom_data.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
