"""Accuracy and loss vs k, the methods compared by compression, and the real savings, for one dataset."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

import pandas as pd

from prunelab.plumbing.fileio import save_figure
from prunelab.plumbing.runtime import script_logger
from prunelab.results.plotting import comparison, savings, sweep

log = script_logger(snakemake.log[0])
metrics, dataset, methods = pd.read_csv(snakemake.input.metrics), snakemake.wildcards.dataset, snakemake.params.methods
save_figure(sweep(metrics, dataset, methods), snakemake.output.sweep)
save_figure(comparison(metrics, dataset, methods), snakemake.output.comparison)
save_figure(savings(metrics, pd.read_csv(snakemake.input.latency), dataset, methods), snakemake.output.savings)
log.info("wrote %s, %s and %s", snakemake.output.sweep, snakemake.output.comparison, snakemake.output.savings)
