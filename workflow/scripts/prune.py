"""Prune one trained model with one method at one k and evaluate it on the test set."""

from pathlib import Path

from prunelab.datasets import load_split
from prunelab.fileio import read_json, write_json
from prunelab.network import Network, features
from prunelab.pruning import prune, select_layers
from prunelab.records import pruning_record
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
method, k, layers = snakemake.params.method, snakemake.params.k, snakemake.params.layers
trained = read_json(snakemake.input.record)
architecture = trained["spec"]["architecture"]
network = Network.load(snakemake.input.weights, architecture)
images, labels = load_split(Path(snakemake.input.data).parent, trained["dataset"], "test")
pruned, masks = prune(network, method, k, select_layers(network, layers), seed=trained["seed"])
record = pruning_record(trained, snakemake.wildcards.scope, method, k, network, pruned, masks,
                        features(architecture, images), labels)
log.info("%s k=%s on %s: accuracy %.4f loss %.4f sparsity %.4f, %d bytes", method, k, layers, record["accuracy"],
         record["loss"], record["sparsity"], record["size_bytes"])
write_json(snakemake.output[0], record)
