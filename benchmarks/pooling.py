"""2x2 max-pooling in the numpy forward pass: the four strided views' maximum (what
prunelab.models.network.max_pool_2x2 does) against numpy's reduction over the window axes (what
it did before), on the default CNN's pooled shapes at batch 256, interleaved in one process,
median of 7 each, nothing else running; the two give equal arrays (checked).

    PYTHONPATH=workflow python benchmarks/pooling.py

Writes benchmarks/pooling.md.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from prunelab.models.network import max_pool_2x2

OUT = Path(__file__).resolve().parent
SHAPES = [(256, 26, 26, 32), (256, 11, 11, 64)]  # the default CNN's two pooled activations at batch 256


def by_reduction(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    x = x[:, : h - h % 2, : w - w % 2]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def main() -> None:
    rng = np.random.default_rng(0)
    lines = [f"# 2x2 max-pooling in numpy ({time.strftime('%Y-%m-%d')})", "",
             "`PYTHONPATH=workflow python benchmarks/pooling.py`: median of 7 interleaved calls each, one "
             "process, nothing else running.", "",
             "| activations | window reduction ms | strided views ms | speedup |", "|---|---|---|---|"]
    for shape in SHAPES:
        x = np.maximum(rng.standard_normal(shape).astype(np.float32), 0)
        assert np.array_equal(by_reduction(x), max_pool_2x2(x))
        times = {by_reduction: [], max_pool_2x2: []}
        for _ in range(7):
            for function, taken in times.items():
                started = time.perf_counter()
                function(x)
                taken.append(1000 * (time.perf_counter() - started))
        before, after = (statistics.median(times[f]) for f in (by_reduction, max_pool_2x2))
        lines.append(f"| {'x'.join(map(str, shape))} | {before:.2f} | {after:.2f} | {before / after:.1f}x |")
    (OUT / "pooling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
