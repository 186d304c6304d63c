"""What training.augment (crop 4 + flip, as the CIFAR papers) costs per epoch.

    make benchmark-augment        (PYTHONPATH=workflow python benchmarks/augment.py)

1. The augmentation alone (prunelab.models.augmentation.augment_images): one epoch's draws of
   50,000 32x32x3 and 50,000 28x28x1 float32 images, in batches of 128, median of 3.
2. One training epoch of the built-in `cnn` on 50,000 28x28x1 random images (after the 10,000
   held out for validation) through prunelab's own fit, TensorFlow backend, one thread, without
   and with augmentation, each in a fresh process, alternating, twice each: the difference is
   the augmentation's cost in a real training (the draws and the batches fed from Python
   instead of Keras's own array batching). Run it with nothing else running.
Writes benchmarks/augment.json and .md.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, BATCH = 50_000, 128

EPOCH = """
import json, logging, sys, time
import numpy as np
from prunelab.plumbing.config import validate_config
from prunelab.plumbing.plan import training_specs
from prunelab.models.training import fit

augment = {{"crop": 4, "flip": True}} if "{augment}" == "on" else {{}}
config = validate_config({{"models": ["cnn"], "regularizers": ["none"], "training": {{"augment": augment}}}})
[spec] = training_specs(config).values()
rng = np.random.default_rng(0)
images, labels = rng.integers(0, 256, size=(60_000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60_000)
started = time.perf_counter()
fit(images, labels, spec=spec, seed=0, log=logging.getLogger(), epochs=1, learning_rate=0.001, batch_size={batch})
print(json.dumps({{"epoch_s": time.perf_counter() - started}}))
"""


def augmentation_alone(shape: tuple[int, ...]) -> list[float]:
    from prunelab.models.augmentation import augment_images

    images = np.random.default_rng(0).uniform(size=(IMAGES, *shape)).astype(np.float32)
    times = []
    for repeat in range(3):
        started = time.perf_counter()
        for batch in range(0, IMAGES, BATCH):
            augment_images(images[batch:batch + BATCH], 4, True, np.random.default_rng([0, repeat, batch]))
        times.append(time.perf_counter() - started)
    return times


def training_epoch(augment: str) -> float:
    output = subprocess.run([sys.executable, "-c", EPOCH.format(augment=augment, batch=BATCH)], capture_output=True,
                            text=True, check=True,
                            env={"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin"}).stdout
    return json.loads(output.strip().splitlines()[-1])["epoch_s"]


def main() -> None:
    alone = {f"{'x'.join(map(str, shape))}": augmentation_alone(shape) for shape in ((32, 32, 3), (28, 28, 1))}
    epochs = {"off": [], "on": []}
    for _ in range(2):
        for augment in ("off", "on"):
            epochs[augment].append(training_epoch(augment))
    results = {"date": time.strftime("%Y-%m-%d"), "images": IMAGES, "batch_size": BATCH,
               "augmentation_alone_s": {k: [round(t, 3) for t in v] for k, v in alone.items()},
               "cnn_epoch_s": {k: [round(t, 1) for t in v] for k, v in epochs.items()}}
    (OUT / "augment.json").write_text(json.dumps(results, indent=2) + "\n")
    off, on = statistics.median(epochs["off"]), statistics.median(epochs["on"])
    lines = [f"# training.augment's cost per epoch ({results['date']})", "",
             "`make benchmark-augment` (benchmarks/augment.py), one thread, nothing else running.", "",
             "| what | seconds per epoch of 50,000 images (runs) |", "|---|---|"]
    for shape, times in alone.items():
        lines.append(f"| crop 4 + flip alone, {shape} | {statistics.median(times):.2f} "
                     f"({', '.join(f'{t:.2f}' for t in times)}) |")
    lines += [f"| cnn training epoch, no augmentation | {off:.1f} ({', '.join(f'{t:.1f}' for t in epochs['off'])}) |",
              f"| cnn training epoch, crop 4 + flip | {on:.1f} ({', '.join(f'{t:.1f}' for t in epochs['on'])}) |", "",
              f"Augmentation adds {on - off:+.1f} s ({(on - off) / off:+.0%}) to a cnn epoch."]
    (OUT / "augment.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
