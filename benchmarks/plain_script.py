"""The single-process script a user would write without the workflow, for the benchmark.

    PYTHONPATH=workflow python benchmarks/plain_script.py DATA_DIR OUT.json [--config config.yaml]

Trains the six models of the default config in turn (Keras ``fit``, TensorFlow's default
threading, the epoch ``training.keep`` names kept), then for each method and k sets the
pruned weights and runs ``evaluate`` on the 10,000 test images: what the workflow does, in
one process and without Snakemake. Writes the accuracies and the seconds it took, so
``benchmarks/run.py`` can compare it with the workflow in the same run. Data comes from the
workflow's fetched copy (DATA_DIR/{dataset}/…), read with the same IDX reader.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from prunelab.data.loading import load_split
from prunelab.plumbing.config import merged_config


def masks(kernels: list[np.ndarray], method: str, k: float) -> list[np.ndarray]:
    """The default config's methods: per layer, the round(k * n) smallest |w|, or units of smallest L2 norm."""
    result = []
    for kernel in kernels:
        if method == "weight":
            order = np.argsort(np.abs(kernel).ravel(), kind="stable")
            keep = np.ones(kernel.size, bool)
            keep[order[: int(np.floor(k * kernel.size + 0.5))]] = False
            result.append(keep.reshape(kernel.shape))
        else:
            norms = np.linalg.norm(kernel, axis=0)
            keep = np.ones(kernel.shape[1], bool)
            keep[np.argsort(norms, kind="stable")[: int(np.floor(k * kernel.shape[1] + 0.5))]] = False
            result.append(np.broadcast_to(keep, kernel.shape))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--config", type=Path, default=None, help="merged into config.yaml, as --configfile")
    options = parser.parse_args()
    config = merged_config(*filter(None, [options.config]))

    import keras  # TensorFlow's default threading: nothing pinned

    started = time.perf_counter()
    training, pruning = config["training"], config["pruning"]
    architecture = config["architectures"]["dense"]
    if architecture["bias"] or config["models"] != ["dense"] or config["seeds"] != [0]:
        raise SystemExit("written for the default config's bias-free dense model, seed 0")
    results = []
    for dataset in config["datasets"]:
        images, labels = load_split(options.data / dataset, dataset, "train")
        x = images.reshape(len(images), -1).astype("float32") / 255
        test_images, test_labels = load_split(options.data / dataset, dataset, "test")
        x_test = test_images.reshape(len(test_images), -1).astype("float32") / 255
        validation = training["validation_size"]
        for regularizer in config["regularizers"]:
            keras.utils.set_random_seed(0)
            strength = config["regularization_strength"].get(regularizer, 0.0)
            penalty = {"none": None, "l1": keras.regularizers.L1(strength) if regularizer == "l1" else None,
                       "l2": keras.regularizers.L2(strength) if regularizer == "l2" else None}[regularizer]
            model = keras.Sequential(
                [keras.Input((784,))]
                + [keras.layers.Dense(w, activation="relu", use_bias=architecture["bias"], kernel_regularizer=penalty)
                   for w in architecture["hidden"]]
                + [keras.layers.Dense(10, activation="softmax", use_bias=architecture["bias"])])
            model.compile(optimizer=keras.optimizers.Adam(training["learning_rate"]),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            best = {"score": -np.inf, "weights": None}

            class KeepBest(keras.callbacks.Callback):
                """The epoch of highest validation accuracy (the earlier on a tie), of lowest
                validation loss, or the last, as ``training.keep`` says."""

                def on_epoch_end(self, epoch, logs=None):
                    score = {"val_accuracy": logs["val_accuracy"], "val_loss": -logs["val_loss"],
                             "last": epoch}[training["keep"]]
                    if score > best["score"]:
                        best.update(score=score, weights=self.model.get_weights())

            model.fit(x[validation:], labels[validation:], validation_data=(x[:validation], labels[:validation]),
                      epochs=training["epochs"], batch_size=training["batch_size"], verbose=0,
                      callbacks=[KeepBest()])
            trained = best["weights"]
            for method in pruning["methods"]:
                for k in pruning["k"]:
                    kernels = trained[:-1]
                    pruned = [np.where(m, w, 0) for w, m in zip(kernels, masks(kernels, method, k))]
                    model.set_weights(pruned + trained[-1:])
                    _, accuracy = model.evaluate(x_test, test_labels, verbose=0, batch_size=1000)
                    results.append({"dataset": dataset, "regularizer": regularizer, "method": method, "k": k,
                                    "accuracy": float(accuracy)})
            print(f"{dataset} {regularizer}: done after {time.perf_counter() - started:.0f} s", flush=True)
    options.out.write_text(json.dumps({"seconds": time.perf_counter() - started, "results": results}, indent=1))


if __name__ == "__main__":
    main()
