"""Train one model (dataset x model x regularizer x seed) and save its weights."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

import time
from pathlib import Path

import pandas as pd

from prunelab.measuring.export import save_keras
from prunelab.plumbing.fileio import atomic_output, read_json, write_json
from prunelab.data.loading import load_split, training_split_problem, with_training_statistics
from prunelab.plumbing.runtime import environment_record, script_logger
from prunelab.models.protocol import protocol
from prunelab.models.training import train_model

log = script_logger(snakemake.log[0])
spec, seed, dataset = snakemake.params.spec, int(snakemake.wildcards.seed), snakemake.wildcards.dataset
log.info("training %s seed %d on %s: %s", snakemake.wildcards.train_id, seed, dataset, spec)

started = time.perf_counter()
images, labels = load_split(Path(snakemake.input.data).parent, dataset, "train")
if problem := training_split_problem(spec, len(images), dataset):  # a download's count, known only now
    raise ValueError(problem)
spec = with_training_statistics(spec, images)  # recorded below, so every later job standardizes alike
network, history = train_model(images, labels, spec, seed, log)
seconds = time.perf_counter() - started

history = pd.DataFrame(history)
kept = history[history["best"]].iloc[-1]
log.info("kept epoch %d after %.1fs", kept["epoch"], seconds)
network.save(snakemake.output.weights)
save_keras(network, snakemake.output.model)
with atomic_output(snakemake.output.history, "w") as handle:
    history.to_csv(handle, index=False)
write_json(snakemake.output.record, {
    "dataset": dataset,
    "train_id": snakemake.wildcards.train_id,
    "seed": seed,
    "spec": spec,
    "protocol": protocol(spec),
    "kept_epoch": int(kept["epoch"]),
    "train_seconds": round(seconds, 2),
    "data": read_json(snakemake.input.data)["source"],
    "environment": environment_record(("numpy", "tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib")),
})
