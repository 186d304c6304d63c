"""Histograms of surviving |w| and unit L2 norms as k grows, for one trained model."""

from prunelab.fileio import read_json, save_figure
from prunelab.network import Network
from prunelab.plan import model_label
from prunelab.plotting import distributions
from prunelab.pruning import select_layers
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])
figure = distributions(network, select_layers(network, snakemake.params.layers), snakemake.params.methods,
                       snakemake.params.k, seed=trained["seed"], title=model_label(snakemake.output[0]))
save_figure(figure, snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
