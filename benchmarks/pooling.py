"""Max-pooling in the numpy forward pass, every model's (prunelab.models.layers.pooling.max_pool):
the maximum of the window offsets' strided views against numpy's reduction over each window's
axes (what the graph engine's MaxPooling2D did before), on the default CNN's 2x2 pooled shapes
and a ResNet50-style 3x3 stride-2 'same' pooling at batch 256, interleaved in one process, median
of 7 each, nothing else running; the two give equal arrays (checked).

    PYTHONPATH=workflow python benchmarks/pooling.py

Writes benchmarks/pooling.md.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from prunelab.models.layers.pooling import max_pool
from prunelab.models.layers.sliding import Sliding

OUT = Path(__file__).resolve().parent
CASES = [((256, 26, 26, 32), Sliding((2, 2), (2, 2), "valid")),  # the default CNN's two pooled activations
         ((256, 11, 11, 64), Sliding((2, 2), (2, 2), "valid")),
         ((256, 16, 16, 64), Sliding((3, 3), (2, 2), "same"))]  # ResNet50's stem pooling on 32x32 images


def by_reduction(x: np.ndarray, slide: Sliding) -> np.ndarray:
    return slide.windows(slide.pad(x, -np.inf)).max(axis=(4, 5))


def main() -> None:
    rng = np.random.default_rng(0)
    lines = [f"# Max-pooling in numpy ({time.strftime('%Y-%m-%d')})", "",
             "`PYTHONPATH=workflow python benchmarks/pooling.py`: median of 7 interleaved calls each, one "
             "process, nothing else running.", "",
             "| activations | window, strides, padding | window reduction ms | strided views ms | speedup |",
             "|---|---|---|---|---|"]
    for shape, slide in CASES:
        x = np.maximum(rng.standard_normal(shape).astype(np.float32), 0)
        assert np.array_equal(by_reduction(x, slide), max_pool(x, slide))
        times = {by_reduction: [], max_pool: []}
        for _ in range(7):
            for function, taken in times.items():
                started = time.perf_counter()
                function(x, slide)
                taken.append(1000 * (time.perf_counter() - started))
        before, after = (statistics.median(times[f]) for f in (by_reduction, max_pool))
        window = f"{'x'.join(map(str, slide.window))}, {'x'.join(map(str, slide.strides))}, {slide.padding}"
        lines.append(f"| {'x'.join(map(str, shape))} | {window} | {before:.2f} | {after:.2f} | {before / after:.1f}x |")
    (OUT / "pooling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
