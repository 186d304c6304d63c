"""One training epoch of ResNet-20 on 50,000 32x32x3 images, on Keras's TensorFlow and JAX backends.

    make benchmark-graph        (PYTHONPATH=workflow python benchmarks/resnet_epoch.py)

For each backend, a fresh Python process imports Keras as a training job does (one thread,
prunelab.models.backend), builds ResNet-20 (projection shortcuts, batch norm), compiles it with
the papers' SGD (lr 0.1, momentum 0.9, batch 128) and trains one epoch on 50,000 random images
after a warm-up of 10 steps (the first steps trace and compile). The spread is that of the
epoch's ten tenths, each timed by a callback. Run it with nothing else running; the two
backends run one after the other. Writes benchmarks/resnet_epoch.json and .md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, BATCH = 50_000, 128

EPOCH = """
import json, sys, time
import numpy as np
from prunelab.models.backend import import_keras
keras = import_keras({{"backend": "{backend}", "threads": 1, "onednn": False}})
from prunelab.models.keras_models import build_resnet

keras.utils.set_random_seed(0)
model = build_resnet(keras, {{"type": "resnet", "depth": 20}}, (32, 32, 3), 10)
model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
rng = np.random.default_rng(0)
x = rng.uniform(size=({images}, 32, 32, 3)).astype(np.float32)
y = rng.integers(0, 10, {images})
model.fit(x[:10 * {batch}], y[:10 * {batch}], batch_size={batch}, epochs=1, verbose=0)
steps = -(-{images} // {batch})
marks = []

class Tenths(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % (steps // 10) == 0 and len(marks) < 10:
            marks.append(time.perf_counter())

started = time.perf_counter()
model.fit(x, y, batch_size={batch}, epochs=1, verbose=0, shuffle=True, callbacks=[Tenths()])
seconds = time.perf_counter() - started
tenths = np.diff([started, *marks]) * 10
print(json.dumps({{"epoch_s": seconds, "tenths_s": [round(t, 1) for t in tenths]}}))
"""


def main() -> None:
    results = {}
    for backend in ("tensorflow", "jax"):
        code = EPOCH.format(backend=backend, images=IMAGES, batch=BATCH)
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                env={"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin"}).stdout
        results[backend] = json.loads(output.strip().splitlines()[-1])
        print(backend, results[backend])
    summary = {"date": time.strftime("%Y-%m-%d"), "images": IMAGES, "batch_size": BATCH, "threads": 1, **results}
    (OUT / "resnet_epoch.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [f"# One ResNet-20 training epoch ({summary['date']})", "",
             f"`make benchmark-graph`: ResNet-20 (projection shortcuts) trained one epoch on {IMAGES:,} random "
             f"32x32x3 images, batch {BATCH}, SGD with momentum, one thread, in a fresh process per backend after "
             "10 warm-up steps; the range is that of the epoch's ten tenths, each scaled to a whole epoch.", "",
             "| backend | epoch s | tenths, as epochs (min-max s) |", "|---|---|---|"]
    for backend, result in results.items():
        lines.append(f"| {backend} | {result['epoch_s']:.1f} | {min(result['tenths_s']):.1f}-"
                     f"{max(result['tenths_s']):.1f} |")
    (OUT / "resnet_epoch.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
