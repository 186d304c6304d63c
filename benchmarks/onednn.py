"""oneDNN and threads per kind of model: which training setting is fastest for each built-in, and JAX beside.

    make benchmark-onednn        (PYTHONPATH=workflow python benchmarks/onednn.py)

Issue 41 asks for the `training.onednn` default chosen per architecture by evidence. For each
built-in — the default `dense` (on 10,000 flat images) and `cnn` (10,000), ResNet-20 and VGG-11
(2,500 each) — and a researcher's own conv model (tests/custom_model.py, 10,000), on 28x28x1
random images, batch 128, Adam as the default config trains: one training of two epochs through
prunelab's own fit in a fresh process for each of TensorFlow with 1 or 2 threads and oneDNN off
or on, and Keras on JAX (one thread, as prunelab trains on JAX), twice (alternating); the figure
is the second epoch's seconds (the first traces the step), scaled to 10,000 images. Run it with
nothing else running. Writes benchmarks/onednn.json and .md; ``--models vit`` measures only those
named, keeping the others' earlier figures (a setting not measured for a model shows "—").
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from spread import median_and_runs

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
MODELS = {"dense": ({}, 10_000), "cnn": ({}, 10_000), "resnet20": ({"type": "resnet", "depth": 20}, 2_500),
          "vgg11": ({"type": "vgg", "depth": 11}, 2_500), "custom": ("tests/custom_model.py:build", 10_000),
          "vit": ({"type": "vit"}, 2_500)}
"""Each model, its architecture ({}: the built-in of that name; a string: a build function) and the
training images of an epoch."""
SETTINGS = [("tensorflow", 1, False), ("tensorflow", 1, True), ("tensorflow", 2, False), ("tensorflow", 2, True),
            ("jax", 1, False)]
"""(backend, threads, oneDNN) of each training."""
HELD_OUT = 500

EPOCH = """
import json, logging, sys
import numpy as np
from prunelab.plumbing.config import validate_config
from prunelab.plumbing.plan import training_specs
from prunelab.models.training import fit

model, architecture, images, backend = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
threads, onednn = int(sys.argv[5]), sys.argv[6] == "on"
config = {{"models": [model], "regularizers": ["none"],
          "training": {{"backend": backend, "threads": threads, "onednn": onednn, "validation_size": {held_out}}}}}
if isinstance(architecture, str):
    config["custom_models"] = {{model: architecture}}
elif architecture:
    config["architectures"] = {{model: architecture}}
[spec] = training_specs(validate_config(config)).values()
rng = np.random.default_rng(0)
count = images + {held_out}
pixels, labels = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count)
_, history = fit(pixels, labels, spec=spec, seed=0, log=logging.getLogger(), epochs=2, learning_rate=0.001,
                 batch_size=128)
print(json.dumps({{"epoch_s": history[1]["seconds"]}}))
"""


def second_epoch(model: str, backend: str, threads: int, onednn: bool) -> float:
    architecture, images = MODELS[model]
    output = subprocess.run([sys.executable, "-c", EPOCH.format(held_out=HELD_OUT), model, json.dumps(architecture),
                             str(images), backend, str(threads), "on" if onednn else "off"], capture_output=True,
                            text=True,
                            check=True, cwd=REPO,
                            env={"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin"}).stdout
    return json.loads(output.strip().splitlines()[-1])["epoch_s"] * 10_000 / images


def _label(backend: str, threads: int, onednn: bool) -> str:
    if backend == "jax":
        return f"JAX, {threads} thread{'s' if threads > 1 else ''}"
    return f"{threads} thread{'s' if threads > 1 else ''}, oneDNN {'on' if onednn else 'off'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS),
                        help="measure these only; the others keep their figures (and dates) from the last run")
    models = parser.parse_args().models
    record = json.loads((OUT / "onednn.json").read_text()) if (OUT / "onednn.json").exists() else {"models": {}}
    times = {model: {_label(*setting): [] for setting in SETTINGS} for model in models}
    for _ in range(2):
        for model in models:
            for setting in SETTINGS:
                times[model][_label(*setting)].append(second_epoch(model, *setting))
                print(model, _label(*setting), round(times[model][_label(*setting)][-1], 2), flush=True)
    for model, by in times.items():
        record["models"][model] = {"date": time.strftime("%Y-%m-%d"), "images": MODELS[model][1],
                                   "seconds_per_10000_images": {label: [round(t, 2) for t in runs]
                                                                for label, runs in by.items()}}
    record["models"] = {model: record["models"][model] for model in MODELS if model in record["models"]}
    (OUT / "onednn.json").write_text(json.dumps(record, indent=2) + "\n")
    labels = [_label(*setting) for setting in SETTINGS]
    lines = ["# Training speed by oneDNN and threads", "",
             "`make benchmark-onednn` (benchmarks/onednn.py): TensorFlow (and Keras on JAX), the second of two "
             "epochs in a fresh process, seconds per 10,000 28x28x1 images (runs), batch 128, Adam; nothing else "
             "running.", "",
             "| model | measured | " + " | ".join(labels) + " | fastest on one thread |",
             "|---|---|" + "---|" * (len(labels) + 1)]
    for model, measured in record["models"].items():
        by = measured["seconds_per_10000_images"]
        cells = [median_and_runs(by[label], 2) if label in by else "—" for label in labels]
        one = min(labels[:2], key=lambda label: statistics.median(by[label]))
        lines.append(f"| {model} | {measured['date']} | " + " | ".join(cells) + f" | {one} |")
    (OUT / "onednn.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
