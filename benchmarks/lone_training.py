"""A lone ResNet-20 training: the workflow's epoch against plain Keras's own, on the same machine.

    make benchmark-lone-training        (PYTHONPATH=workflow python benchmarks/lone_training.py)

Issue 41 asks that a training running alone use the free cores: a ResNet-20 epoch within 1.25x of
plain Keras's. Three ways to train the fashion-resnet20 preset's ResNet-20 (SGD, lr 0.1, momentum
0.9, weight decay 1e-4, batch 128) two epochs on 10,000 random 28x28x1 images (500 more held out
for validation), each in a fresh process, three times (alternating): plain Keras as a user's own
script runs it (``import keras`` with TensorFlow's own threads and oneDNN setting; the same model,
``model.fit``), prunelab's training (``prunelab.models.training.fit``) as the preset trains now
(its threads and oneDNN left to the architecture: 2 threads, oneDNN on), and prunelab's training
as it trained before (1 thread, oneDNN off). The figure is the second epoch's seconds (the first
traces the step). Run it with nothing else running. Writes benchmarks/lone_training.json and .md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from spread import median_and_runs

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, HELD_OUT, RUNS = 10_000, 500, 3

DATA = f"""
import numpy as np
rng = np.random.default_rng(0)
pixels = rng.integers(0, 256, size=({IMAGES + HELD_OUT}, 28, 28), dtype=np.uint8)
labels = rng.integers(0, 10, {IMAGES + HELD_OUT})
"""

PLAIN = DATA + f"""
import json, time
import keras
from prunelab.models.keras_models import build_resnet

keras.utils.set_random_seed(0)
model = build_resnet(keras, {{"type": "resnet", "depth": 20}}, (28, 28, 1), 10)
model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9, weight_decay=0.0001),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
x = pixels[..., None].astype("float32") / 255
seconds = []

class Epochs(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds.append(time.perf_counter() - self.started)

model.fit(x[{HELD_OUT}:], labels[{HELD_OUT}:], validation_data=(x[:{HELD_OUT}], labels[:{HELD_OUT}]), batch_size=128,
          epochs=2, verbose=0, callbacks=[Epochs()])
print(json.dumps({{"epoch_s": seconds[1]}}))
"""

PRUNELAB = DATA + f"""
import json, logging, sys
import yaml
from prunelab.models.training import fit
from prunelab.plumbing.config import merge_config, validate_config
from prunelab.plumbing.plan import training_specs

config = yaml.safe_load(open("config.yaml"))
for override in (yaml.safe_load(open("presets/fashion-resnet20.yaml")),
                 {{"training": {{"validation_size": {HELD_OUT}, **json.loads(sys.argv[1])}}}}):
    config = merge_config(config, override)
config = validate_config(config)
[spec] = training_specs(config).values()
_, history = fit(pixels, labels, spec=spec, seed=0, log=logging.getLogger(), epochs=2,
                 learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])
print(json.dumps({{"epoch_s": history[1]["seconds"], "threads": spec["threads"], "onednn": spec["onednn"]}}))
"""

WAYS = {"plain Keras (TensorFlow's own threads and oneDNN)": (PLAIN, None),
        "prunelab, the preset's setting now (2 threads, oneDNN on)": (PRUNELAB, {}),
        "prunelab, as before (1 thread, oneDNN off)": (PRUNELAB, {"threads": 1, "onednn": False})}


def second_epoch(code: str, overrides: dict | None) -> float:
    output = subprocess.run([sys.executable, "-c", code, *([] if overrides is None else [json.dumps(overrides)])],
                            capture_output=True, text=True, check=True, cwd=REPO,
                            env={"PYTHONPATH": str(REPO / "workflow"), "PATH": os.environ["PATH"]}).stdout
    return json.loads(output.strip().splitlines()[-1])["epoch_s"]


def main() -> None:
    times = {way: [] for way in WAYS}
    for _ in range(RUNS):
        for way, (code, overrides) in WAYS.items():
            times[way].append(second_epoch(code, overrides))
            print(way, round(times[way][-1], 2), flush=True)
    plain = statistics.median(times[next(iter(WAYS))])
    record = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "images": IMAGES,
              "seconds": {way: [round(t, 2) for t in runs] for way, runs in times.items()}}
    (OUT / "lone_training.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [f"# A lone ResNet-20 training against plain Keras ({record['date']})", "",
             f"`make benchmark-lone-training` (benchmarks/lone_training.py): the second of two epochs of "
             f"{IMAGES:,} random 28x28x1 images, batch 128, SGD with momentum and weight decay, a fresh process "
             f"each, {RUNS} runs alternating, {record['cpus']} CPUs, nothing else running.", "",
             "| training | epoch s, median (runs) | against plain Keras |", "|---|---|---|"]
    for way, runs in times.items():
        lines.append(f"| {way} | {median_and_runs(runs, 2)} | {statistics.median(runs) / plain:.2f}x |")
    (OUT / "lone_training.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
