"""Histograms of surviving |w| and unit L2 norms as k grows, for one trained model."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.measuring.survivors import survivors
from prunelab.methods.scope import pruned_layers
from prunelab.models.network import Network
from prunelab.models.pruned_file import load_pruned
from prunelab.plumbing.fileio import read_json, save_figure
from prunelab.plumbing.runtime import script_logger
from prunelab.results.plotting import distributions, model_label

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])
layers = pruned_layers(network, snakemake.params.selection)
pruned_models = iter(snakemake.input.pruned)  # every method at every k above 0, in that order (the rule's)
left = {method: survivors(network, layers, {k: load_pruned(next(pruned_models), network) if k > 0 else network
                                            for k in snakemake.params.k}, by_unit)
        for method, by_unit in snakemake.params.removes_units.items()}
save_figure(distributions(left, layers, title=model_label(snakemake.output[0])), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
