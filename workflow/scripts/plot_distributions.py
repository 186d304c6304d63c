"""Histograms of surviving |w| and unit L2 norms as k grows, for one trained model."""

from pathlib import Path

from prunelab.measuring.survivors import survivors
from prunelab.methods.scope import pruned_layers
from prunelab.models.network import Network
from prunelab.plumbing.fileio import read_json, save_figure
from prunelab.plumbing.jobs import redone_methods
from prunelab.plumbing.runtime import script_logger
from prunelab.results.plotting import distributions, model_label

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])
layers = pruned_layers(network, snakemake.params.selection)
methods = redone_methods(snakemake.params.methods, trained, Path(snakemake.input.data).parent)
left = {method.name: survivors(network, layers, method, snakemake.params.k, trained["seed"], data)
        for method, data in methods}
save_figure(distributions(left, layers, title=model_label(snakemake.output[0])), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
