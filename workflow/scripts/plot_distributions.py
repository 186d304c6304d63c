"""Histograms of surviving |w| and unit L2 norms as k grows, for one trained model."""

from prunelab.fileio import load_kernels, save_figure
from prunelab.plan import model_label
from prunelab.plotting import distributions
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
kernels = load_kernels(snakemake.input.weights)
save_figure(distributions(kernels, snakemake.params.methods, snakemake.params.k, model_label(snakemake.output[0])), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
