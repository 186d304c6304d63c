"""The matrix products of one training step, on one core: what a training epoch's floor really is.

    make benchmark-dot-rate        (PYTHONPATH=workflow python benchmarks/dot_rate.py)

`make benchmark` prices every FLOP at the best rate of large square float32 GEMMs. A training
step of the default dense model (784-1000-1000-500-200-10, batch 128) multiplies 128-row
matrices instead: per layer the forward product, the weight gradient and (past the first layer)
the input gradient. This times exactly those products, one step's worth repeated, with numpy
(OpenBLAS) and with XLA through JAX (the `jax` backend's kernels), each in a fresh process bound
to one CPU, alternated ``REPEATS`` times, beside the square 2048³ product in the same processes.
Writes benchmarks/dot_rate.json and benchmarks/dot_rate.md.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from prunelab.models.network import kernel_shapes
from prunelab.plumbing.config import merged_config
from run import REPO

OUT = REPO / "benchmarks"
REPEATS = 3
SECONDS = 2.0  # each measurement repeats its products for at least this long

MEASURE = r"""
import json, os, sys, time
from prunelab.plumbing.runtime import pin_threads
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
pin_threads(1)
library, shapes, seconds = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
import numpy as np
if library == "xla":
    from prunelab.models.backend import xla_flags
    os.environ["XLA_FLAGS"] = xla_flags(1)
    import jax, jax.numpy as jnp
    product = jax.jit(lambda a, b: a @ b)
    array, run = jnp.ones, lambda a, b: product(a, b).block_until_ready()
else:
    array, run = np.ones, lambda a, b: a @ b

def rate(group):
    pairs = [(array((m, k), "float32"), array((k, n), "float32")) for m, k, n in group]
    flops = sum(2 * m * k * n for m, k, n in group)
    for a, b in pairs * 3:
        run(a, b)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for a, b in pairs:
            run(a, b)
        count += 1
    return flops * count / (time.perf_counter() - started) / 1e9

print(json.dumps({"step": rate(shapes), "square": rate([(2048, 2048, 2048)])}))
"""


def step_shapes(architecture: dict, batch: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every product in one training step of a dense ``architecture``: forward,
    weight gradient and (past the first layer) input gradient."""
    shapes = []
    for index, (fan_in, fan_out) in enumerate(kernel_shapes(architecture)):
        shapes.append((batch, fan_in, fan_out))  # forward
        shapes.append((fan_in, batch, fan_out))  # weight gradient
        if index:
            shapes.append((batch, fan_out, fan_in))  # input gradient
    return shapes


def measure(library: str, shapes: list) -> dict:
    """GFLOP/s of ``shapes``' products and of the square product, in a fresh one-CPU process."""
    result = subprocess.run([sys.executable, "-c", MEASURE, library, json.dumps(shapes), str(SECONDS)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    config = merged_config()
    batch = config["training"]["batch_size"]
    shapes = step_shapes(config["architectures"]["dense"], batch)
    runs = {"numpy": [], "xla": []}
    for _ in range(REPEATS):
        for library in runs:
            runs[library].append(measure(library, shapes))
    step_flops = sum(2 * m * k * n for m, k, n in shapes)
    medians = {library: {part: statistics.median(r[part] for r in values) for part in ("step", "square")}
               for library, values in runs.items()}
    out = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "shapes": shapes,
           "step_gflop": step_flops / 1e9, "runs": runs, "median_gflops": medians}
    (OUT / "dot_rate.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [f"# One training step's matrix products on one core ({out['measured']})", "",
             f"`make benchmark-dot-rate`: the default dense model, batch {batch}, "
             f"{len(shapes)} products, {step_flops / 1e9:.2f} GFLOP a step; each figure the median of "
             f"{REPEATS} alternated fresh processes bound to one CPU (range in brackets).", "",
             "| library | one step's products, GFLOP/s | square 2048³, GFLOP/s |", "|---|---|---|"]
    for library, values in runs.items():
        cells = [f"{medians[library][part]:.0f} ({min(r[part] for r in values):.0f}-{max(r[part] for r in values):.0f})"
                 for part in ("step", "square")]
        lines.append(f"| {library} | {cells[0]} | {cells[1]} |")
    (OUT / "dot_rate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
