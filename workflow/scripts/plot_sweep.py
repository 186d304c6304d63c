"""Accuracy and loss vs k, the methods compared by compression, and the real savings, for one dataset."""

import pandas as pd

from prunelab.fileio import save_figure
from prunelab.plotting import comparison, savings, sweep
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
metrics, dataset = pd.read_csv(snakemake.input.metrics), snakemake.wildcards.dataset
save_figure(sweep(metrics, dataset), snakemake.output.sweep)
save_figure(comparison(metrics, dataset), snakemake.output.comparison)
save_figure(savings(metrics, pd.read_csv(snakemake.input.latency), dataset), snakemake.output.savings)
log.info("wrote %s, %s and %s", snakemake.output.sweep, snakemake.output.comparison, snakemake.output.savings)
