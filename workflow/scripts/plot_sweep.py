"""Accuracy and loss vs k for one dataset, every configuration and method."""

import pandas as pd

from prunelab.fileio import save_figure
from prunelab.plotting import sweep
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
save_figure(sweep(pd.read_csv(snakemake.input[0]), snakemake.wildcards.dataset), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
