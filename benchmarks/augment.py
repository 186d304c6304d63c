"""What training.augment (crop 4 + flip, as the CIFAR papers) costs per epoch.

    make benchmark-augment        (PYTHONPATH=workflow python benchmarks/augment.py)

1. The augmentation alone (prunelab.models.augmentation.epoch_images): one epoch's draws and
   order of 50,000 32x32x3 and 50,000 28x28x1 float32 images, in batches of 128, median of 3.
2. One training epoch through prunelab's own fit (one thread, as a training job), without and
   with augmentation, each in a fresh process, alternating, twice each, on TensorFlow and on JAX:
   the built-in `cnn` on 50,000 random 28x28x1 images and ResNet-20 on 10,000 (after the 1,000
   held out for validation); each time in a fresh process, so model building and the first
   trace are in it. The difference is the augmentation's cost in a real training. Run it with
   nothing else running.
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

from spread import median_and_runs

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, BATCH = 50_000, 128
TRAININGS = {"cnn": ({}, 50_000), "resnet20": ({"type": "resnet", "depth": 20}, 10_000)}
"""Each model benchmarked, its architecture ({}: the built-in of that name) and how many training
images an epoch shows."""
HELD_OUT = 1_000

EPOCH = """
import json, logging, sys, time
import numpy as np
from prunelab.plumbing.config import validate_config
from prunelab.plumbing.plan import training_specs
from prunelab.models.training import fit

backend, architecture, images = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
augment = {{"crop": 4, "flip": True}} if sys.argv[4] == "on" else {{}}
model = sys.argv[5]
config = validate_config({{"models": [model], "architectures": {{model: architecture}} if architecture else {{}},
                          "regularizers": ["none"],
                          "training": {{"augment": augment, "backend": backend, "validation_size": {held_out}}}}})
[spec] = training_specs(config).values()
rng = np.random.default_rng(0)
count = images + {held_out}
images, labels = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count)
started = time.perf_counter()
fit(images, labels, spec=spec, seed=0, log=logging.getLogger(), epochs=1, learning_rate=0.001, batch_size={batch})
print(json.dumps({{"epoch_s": time.perf_counter() - started}}))
"""


def augmentation_alone(shape: tuple[int, ...]) -> list[float]:
    from prunelab.models.augmentation import epoch_images

    images = np.random.default_rng(0).uniform(size=(IMAGES, *shape)).astype(np.float32)
    labels = np.zeros(IMAGES, np.int64)
    times = []
    for repeat in range(3):
        started = time.perf_counter()
        epoch_images(images, labels, BATCH, 0, repeat, {"crop": 4, "flip": True})
        times.append(time.perf_counter() - started)
    return times


def training_epoch(backend: str, model: str, augment: str) -> float:
    architecture, images = TRAININGS[model]
    output = subprocess.run([sys.executable, "-c", EPOCH.format(batch=BATCH, held_out=HELD_OUT), backend,
                             json.dumps(architecture), str(images), augment, model], capture_output=True, text=True,
                            check=True, env={"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin"}).stdout
    return json.loads(output.strip().splitlines()[-1])["epoch_s"]


def main() -> None:
    alone = {f"{'x'.join(map(str, shape))}": augmentation_alone(shape) for shape in ((32, 32, 3), (28, 28, 1))}
    epochs = {f"{model} {backend}": {"off": [], "on": []} for model in TRAININGS for backend in ("tensorflow", "jax")}
    for _ in range(2):
        for name, times in epochs.items():
            model, backend = name.split()
            for augment in ("off", "on"):
                times[augment].append(training_epoch(backend, model, augment))
    results = {"date": time.strftime("%Y-%m-%d"), "batch_size": BATCH,
               "images": {model: images for model, (_, images) in TRAININGS.items()},
               "augmentation_alone_s": {k: [round(t, 3) for t in v] for k, v in alone.items()},
               "epoch_s": {name: {k: [round(t, 1) for t in v] for k, v in times.items()}
                           for name, times in epochs.items()}}
    (OUT / "augment.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# training.augment's cost per epoch ({results['date']})", "",
             "`make benchmark-augment` (benchmarks/augment.py), one thread, nothing else running.", "",
             "| what | seconds per epoch (runs) |", "|---|---|"]
    for shape, times in alone.items():
        lines.append(f"| crop 4 + flip alone, 50,000 images of {shape} | {median_and_runs(times, 2)} |")
    summary = []
    for name, times in epochs.items():
        model, backend = name.split()
        images = f"{TRAININGS[model][1]:,}"
        lines += [f"| {model} epoch of {images} images, {backend}, no augmentation | {median_and_runs(times['off'], 1)} |",
                  f"| {model} epoch of {images} images, {backend}, crop 4 + flip | {median_and_runs(times['on'], 1)} |"]
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        summary.append(f"{model} on {backend} {on - off:+.1f} s ({(on - off) / off:+.1%})")
    lines += ["", "Augmentation adds (medians): " + "; ".join(summary) + "."]
    (OUT / "augment.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
