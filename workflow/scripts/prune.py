"""Prune one trained model with one method at one k and evaluate it on the test set."""

from pathlib import Path

from prunelab.datasets import as_features, load_split
from prunelab.evaluation import classification_metrics, dense_logits, sparsity_stats
from prunelab.fileio import load_kernels, read_json, write_json
from prunelab.pruning import prune
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
method, k = snakemake.params.method, snakemake.params.k
trained = read_json(snakemake.input.record)
kernels = load_kernels(snakemake.input.weights)
images, labels = load_split(Path(snakemake.input.data).parent, trained["dataset"], "test")
pruned, masks = prune(kernels, method, k)
metrics = classification_metrics(dense_logits(pruned, as_features(images)), labels)
record = {
    "dataset": trained["dataset"],
    "model": trained["spec"]["model"],
    "regularizer": trained["spec"]["regularizer"],
    "strength": trained["spec"]["strength"],
    "train_id": trained["train_id"],
    "seed": trained["seed"],
    "method": method,
    "k": k,
    **metrics,
    **sparsity_stats(pruned, masks),
}
log.info("%s k=%s: accuracy %.4f loss %.4f sparsity %.4f", method, k, metrics["accuracy"], metrics["loss"],
         record["sparsity"])
write_json(snakemake.output[0], record)
