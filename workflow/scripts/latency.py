"""Measure the inference latency of every pruned model of one trained model."""

from pathlib import Path

from prunelab.loading import load_split
from prunelab.efficiency import latencies
from prunelab.fileio import read_json, write_json
from prunelab.network import Network, features
from prunelab.pruning import prune, select_layers
from prunelab.records import identity
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
architecture = trained["spec"]["architecture"]
network = Network.load(snakemake.input.weights, architecture)
batch_sizes, repeats = snakemake.params.batch_sizes, snakemake.params.repeats
images, _ = load_split(Path(snakemake.input.data).parent, trained["dataset"], "test")
x = features(architecture, images[: max(batch_sizes, default=1)])
layers = select_layers(network, snakemake.params.layers)
rows = []
for method in snakemake.params.methods:
    for k in snakemake.params.k:
        pruned, _ = prune(network, method, k, layers, seed=trained["seed"])
        rows.append({**identity(trained, snakemake.wildcards.scope, method, k),
                     **latencies(pruned, x, batch_sizes, repeats)})
        log.info("%s k=%s: %s", method, k, {name: round(ms, 3) for name, ms in rows[-1].items() if "latency" in name})
write_json(snakemake.output[0], {"rows": rows})
