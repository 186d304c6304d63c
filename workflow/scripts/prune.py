"""Prune one trained model with one method at one k and evaluate it on the test set."""

from pathlib import Path

from prunelab.datasets import load_split
from prunelab.evaluation import classification_metrics, sparsity_stats
from prunelab.fileio import read_json, write_json
from prunelab.network import Network, features, logits
from prunelab.pruning import prune, select_layers
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
method, k, layers = snakemake.params.method, snakemake.params.k, snakemake.params.layers
trained = read_json(snakemake.input.record)
architecture = trained["spec"]["architecture"]
network = Network.load(snakemake.input.weights, architecture)
images, labels = load_split(Path(snakemake.input.data).parent, trained["dataset"], "test")
pruned, masks = prune(network, method, k, select_layers(network, layers), seed=trained["seed"])
metrics = classification_metrics(logits(pruned, features(architecture, images)), labels)
record = {
    "dataset": trained["dataset"],
    "model": trained["spec"]["model"],
    "regularizer": trained["spec"]["regularizer"],
    "strength": trained["spec"]["strength"],
    "train_id": trained["train_id"],
    "seed": trained["seed"],
    "layers": snakemake.wildcards.scope,
    "method": method,
    "k": k,
    **metrics,
    **sparsity_stats(pruned, masks),
}
log.info("%s k=%s on %s: accuracy %.4f loss %.4f sparsity %.4f", method, k, layers, metrics["accuracy"],
         metrics["loss"], record["sparsity"])
write_json(snakemake.output[0], record)
