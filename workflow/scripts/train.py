"""Train one model (dataset x model x regularizer x seed) and save its kernels."""

import time
from pathlib import Path

import pandas as pd

from prunelab.datasets import load_split
from prunelab.fileio import atomic_output, read_json, save_arrays, save_figure, write_json
from prunelab.plan import model_label
from prunelab.plotting import training_curves
from prunelab.runtime import environment_record, script_logger
from prunelab.training import train_dense

log = script_logger(snakemake.log[0])
spec, seed, dataset = snakemake.params.spec, int(snakemake.wildcards.seed), snakemake.wildcards.dataset
log.info("training %s seed %d on %s: %s", snakemake.wildcards.train_id, seed, dataset, spec)

started = time.perf_counter()
images, labels = load_split(Path(snakemake.input.data).parent, dataset, "train")
kernels, history = train_dense(images, labels, spec, seed, log)
seconds = time.perf_counter() - started

history = pd.DataFrame(history)
best = history.loc[history["val_loss"].idxmin()]
log.info("best epoch %d (val_loss %.4f, val_accuracy %.4f) after %.1fs",
         best["epoch"], best["val_loss"], best["val_accuracy"], seconds)
save_arrays(snakemake.output.weights, {f"W{i}": kernel for i, kernel in enumerate(kernels)})
with atomic_output(snakemake.output.history, "w") as handle:
    history.to_csv(handle, index=False)
save_figure(training_curves(history, model_label(snakemake.output.curves)), snakemake.output.curves)
write_json(snakemake.output.record, {
    "dataset": dataset,
    "train_id": snakemake.wildcards.train_id,
    "seed": seed,
    "spec": spec,
    "best_epoch": int(best["epoch"]),
    "best_val_loss": float(best["val_loss"]),
    "train_seconds": round(seconds, 2),
    "data": read_json(snakemake.input.data)["source"],
    "environment": environment_record(("numpy", "tensorflow-cpu", "tensorflow", "keras")),
})
