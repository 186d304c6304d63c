"""Prune one trained model, retrain it with the mask fixed, and evaluate it on the test set."""

from pathlib import Path

import pandas as pd

from prunelab.datasets import load_split
from prunelab.fileio import atomic_output, read_json, write_json
from prunelab.network import Network, features
from prunelab.pruning import select_layers
from prunelab.records import pruning_record
from prunelab.runtime import script_logger
from prunelab.training import prune_and_finetune

log = script_logger(snakemake.log[0])
method, k, layers = snakemake.params.method, snakemake.params.k, snakemake.params.layers
settings = snakemake.params.settings
trained = read_json(snakemake.input.record)
spec, seed, dataset = trained["spec"], trained["seed"], trained["dataset"]
network = Network.load(snakemake.input.weights, spec["architecture"])
log.info("fine-tuning %s k=%s for %d epochs in %d rounds (lr %g)", method, k, settings["epochs"],
         settings["rounds"], settings["learning_rate"])

data_dir = Path(snakemake.input.data).parent
images, labels = load_split(data_dir, dataset, "train")
finetuned, masks, history = prune_and_finetune(images, labels, spec, seed, log, network, method, k,
                                               select_layers(network, layers), settings)
test_images, test_labels = load_split(data_dir, dataset, "test")
record = pruning_record(trained, snakemake.wildcards.scope, method, k, network, finetuned, masks,
                        features(spec["architecture"], test_images), test_labels, finetune=settings)
log.info("after fine-tuning: accuracy %.4f loss %.4f sparsity %.4f", record["accuracy"], record["loss"],
         record["sparsity"])
finetuned.save(snakemake.output.weights)
with atomic_output(snakemake.output.history, "w") as handle:
    pd.DataFrame(history).to_csv(handle, index=False)
write_json(snakemake.output.metrics, record)
