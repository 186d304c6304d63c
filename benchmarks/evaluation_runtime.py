"""Which runtime evaluates pruned models in prune jobs: the numpy forward pass or ONNX Runtime.

    make benchmark-evaluation     (PYTHONPATH=workflow python benchmarks/evaluation_runtime.py)

The one-engine issue asks for one runtime for every model, chosen by measurement. For each
built-in (the default `dense` and `cnn`, ResNet-20 and VGG-11 on 28x28x1 images, 10 classes),
built by Keras (TensorFlow, one thread) with its initial weights and biases drawn away from zero,
this times the logits of 10,000 random images, three times each, one thread everywhere:

- *numpy*: the engine's forward pass (`Network.logits`);
- *ONNX Runtime*: the model's ONNX export, one thread, batches of 500 as prune jobs run it;

and compares ONNX Runtime's logits with numpy's: bitwise equal or not, the largest difference,
and whether the test metrics computed from them (correct count and loss) would be the same. Run
it with nothing else running. Writes benchmarks/evaluation_runtime.json and .md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from spread import median_and_runs

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, REPEATS = 10_000, 3
MODELS = {"dense": {"type": "dense", "hidden": [1000, 1000, 500, 200], "bias": False},
          "cnn": {"type": "cnn", "conv": [32, 64, 64], "kernel_size": 3, "pool": [True, True, False],
                  "hidden": [250, 125, 60], "bias": True},
          "resnet20": {"type": "resnet", "depth": 20},
          "vgg11": {"type": "vgg", "depth": 11}}


def timed(function) -> tuple[np.ndarray, list[float]]:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return result, times


def main() -> None:
    from prunelab.data.loading import features
    from prunelab.measuring.evaluation import EVALUATION_BATCH, classification_metrics
    from prunelab.measuring.onnx_export import run, session
    from prunelab.models.backend import import_tensorflow
    from prunelab.models.keras_models import build_model, network_of
    from prunelab.plumbing.runtime import pin_threads

    pin_threads(1)
    keras = import_tensorflow(1, False).keras
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(IMAGES, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, IMAGES)
    results = {}
    for name, architecture in MODELS.items():
        keras.utils.set_random_seed(0)
        model = build_model(keras, architecture, 10, input_shape=(28, 28, 1))
        for variable in model.weights:
            if variable.path.endswith(("bias", "beta", "moving_mean")):
                variable.assign(rng.normal(scale=0.1, size=variable.shape).astype(np.float32))
        x = features(architecture, pixels)
        network = network_of(model, architecture)
        runs = {"numpy": timed(lambda: network.logits(x))}
        onnx = session(network)
        runs["ONNX Runtime"] = timed(lambda: np.concatenate([run(onnx, x[i:i + EVALUATION_BATCH])
                                                             for i in range(0, IMAGES, EVALUATION_BATCH)]))
        reference_name = next(iter(runs))
        reference = runs[reference_name][0]
        expected = classification_metrics(reference, labels)
        results[name] = {}
        for runtime, (values, times) in runs.items():
            metrics = classification_metrics(values, labels)
            results[name][runtime] = {
                "seconds": [round(t, 3) for t in times], "compared_with": reference_name,
                "bitwise_equal": bool(np.array_equal(values, reference)),
                "largest_difference": float(np.max(np.abs(values.astype(np.float64) - reference))),
                "same_correct": metrics["correct"] == expected["correct"], "same_loss": metrics["loss"] == expected["loss"],
                "loss_difference": abs(metrics["loss"] - expected["loss"])}
            print(name, runtime, results[name][runtime], flush=True)
    (OUT / "evaluation_runtime.json").write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "images": IMAGES,
                                                             "models": results}, indent=2) + "\n")
    lines = [f"# Evaluating a model: numpy or ONNX Runtime ({time.strftime('%Y-%m-%d')})", "",
             "`make benchmark-evaluation` (benchmarks/evaluation_runtime.py): the logits of 10,000 random 28x28x1 "
             "images, one thread, median of 3 (runs); each runtime's logits against the first row's of its model.", "",
             "| model | runtime | seconds (runs) | logits bitwise equal | largest difference | same correct | same loss "
             "(difference) |", "|---|---|---|---|---|---|---|"]
    for name, runtimes in results.items():
        for runtime, row in runtimes.items():
            seconds = median_and_runs(row["seconds"], 3)
            lines.append(f"| {name} | {runtime} | {seconds} | {'yes' if row['bitwise_equal'] else 'no'} | "
                         f"{row['largest_difference']:.2g} | {'yes' if row['same_correct'] else 'no'} | "
                         f"{'yes' if row['same_loss'] else 'no'} ({row['loss_difference']:.2g}) |")
    (OUT / "evaluation_runtime.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
