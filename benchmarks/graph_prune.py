"""A weight-pruning job of ResNet-20, timed as the workflow runs it, on CIFAR-sized images.

    make benchmark-graph        (PYTHONPATH=workflow python benchmarks/graph_prune.py)

Builds ResNet-20 for 32x32x3 images and 10 classes (He-normal initial weights: how long pruning
takes does not depend on how well the model learned) and 10,000 random images (random pixels do
for timing; the workflow's datasets are 28x28x1 until CIFAR-10 is built in), then runs, three
times, a fresh Python process doing what a prune job does after reading its inputs: load the
weights file, prune by weight magnitude at k = 0.5 (every layer but the output), evaluate on the
10,000 images (ONNX Runtime, one thread) and compute the record (sparsity, FLOPs, compaction,
bytes on disk). Reports each run's wall time, Python's start-up included, and its peak memory
(max RSS); the figures are the median and the largest. In the same run, one process times the
forward pass of 1,000 of the images three times each in the numpy graph engine and in ONNX
Runtime (one thread both): why prune jobs evaluate graph models in ONNX Runtime. Run it with
nothing else running. Writes benchmarks/graph_prune.json and benchmarks/graph_prune.md.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, REPEATS, K = 10_000, 3, 0.5
TARGETS = {"seconds": 15.0, "peak_mb": 1000.0}
ARCHITECTURE = {"type": "resnet", "depth": 20}

JOB = """
import resource, sys
import numpy as np
from prunelab.methods.pruning import load_method, prune
from prunelab.methods.scope import pruned_layers
from prunelab.models.network import Network
from prunelab.results.records import pruning_record

folder = sys.argv[1]
architecture = {architecture!r}
network = Network.load(f"{{folder}}/weights.npz", architecture)
images, labels = np.load(f"{{folder}}/images.npy"), np.load(f"{{folder}}/labels.npy")
method = load_method({{"name": "weight", "source": "prunelab.methods.weight", "runs": "one_shot"}})
layers = pruned_layers(network, "all_but_output")
pruned, masks = prune(network, method, {k}, layers)
trained = {{"dataset": "random", "train_id": "resnet20-benchmark", "seed": 0,
           "spec": {{"model": "resnet20", "regularizer": "none", "strength": 0.0, "architecture": architecture}}}}
record = pruning_record(trained=trained, scope="all_but_output", method="weight", k={k}, network=network,
                        pruned=pruned, masks=masks, x=images.astype(np.float32) / np.float32(255.0), labels=labels)
assert "tensorflow" not in sys.modules and "keras" not in sys.modules
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, record["accuracy"], record["size_bytes"])
"""


FORWARD = """
import json, sys, time
import numpy as np
from prunelab.measuring.onnx_export import run, session
from prunelab.models.network import Network

folder = sys.argv[1]
network = Network.load(f"{{folder}}/weights.npz", {architecture!r})
x = np.load(f"{{folder}}/images.npy")[:1000].astype(np.float32) / np.float32(255.0)
runtime = session(network)
engines = {{"numpy": network.logits, "onnxruntime": lambda images: np.concatenate(
    [run(runtime, images[i:i + 500]) for i in range(0, len(images), 500)])}}
times = {{}}
for name, forward in engines.items():
    forward(x[:50])
    times[name] = []
    for _ in range(3):
        started = time.perf_counter()
        forward(x)
        times[name].append(round(time.perf_counter() - started, 2))
print(json.dumps(times))
"""


def prepare(folder: Path) -> None:
    """The trained-model file and the images, written once (TensorFlow only here)."""
    sys.path.insert(0, str(REPO / "workflow"))
    from prunelab.models.backend import import_tensorflow
    from prunelab.models.network import Network
    from prunelab.models.keras_models import build_resnet, graph_of

    keras = import_tensorflow(1, False).keras
    keras.utils.set_random_seed(0)
    model = build_resnet(keras, ARCHITECTURE, (32, 32, 3), 10)
    Network(ARCHITECTURE, *graph_of(model)).save(folder / "weights.npz")
    rng = np.random.default_rng(0)
    np.save(folder / "images.npy", rng.integers(0, 256, (IMAGES, 32, 32, 3), dtype=np.uint8))
    np.save(folder / "labels.npy", rng.integers(0, 10, IMAGES).astype(np.uint8))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="graph-prune-benchmark-") as name:
        folder = Path(name)
        prepare(folder)
        job = JOB.format(architecture=ARCHITECTURE, k=K)
        environment = {"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1",
                       "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", job, str(folder)], capture_output=True, text=True,
                                    env=environment, check=True)
            seconds = time.perf_counter() - started
            peak_mb, accuracy, size = result.stdout.split()
            runs.append({"seconds": round(seconds, 2), "peak_mb": round(float(peak_mb)), "accuracy": float(accuracy),
                         "size_bytes": int(size)})
        forward = json.loads(subprocess.run([sys.executable, "-c", FORWARD.format(architecture=ARCHITECTURE),
                                             str(folder)], capture_output=True, text=True, env=environment,
                                            check=True).stdout)
    summary = {"date": time.strftime("%Y-%m-%d"), "architecture": ARCHITECTURE, "images": IMAGES, "k": K,
               "median_s": statistics.median(run["seconds"] for run in runs),
               "peak_mb": max(run["peak_mb"] for run in runs), "runs": runs, "targets": TARGETS,
               "forward_1000_images_s": forward}
    (OUT / "graph_prune.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [f"# A weight-pruning job of ResNet-20 ({summary['date']})", "",
             "`make benchmark-graph`: a fresh Python process loads ResNet-20's weights file (32x32x3 inputs, 10 "
             f"classes), prunes it by weight magnitude at k = {K}, evaluates it on {IMAGES:,} random 32x32x3 images "
             "(ONNX Runtime, one thread) and computes the record, as a prune job does; run "
             f"{REPEATS} times alone. Targets: under {TARGETS['seconds']:g} s, under {TARGETS['peak_mb']:g} MB.", "",
             "| median s | runs (s) | peak MB |", "|---|---|---|",
             f"| {summary['median_s']:.2f} | {', '.join(format(run['seconds'], '.2f') for run in runs)} | "
             f"{summary['peak_mb']} |", "",
             "The forward pass of 1,000 of the images, one thread, 3 times each in one process:", "",
             "| engine | seconds (3 runs) |", "|---|---|",
             *[f"| {name} | {', '.join(map(str, times))} |" for name, times in forward.items()], ""]
    (OUT / "graph_prune.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
