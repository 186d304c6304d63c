"""Training curves of one trained model, the kept epoch marked."""

import pandas as pd

from prunelab.fileio import save_figure
from prunelab.plan import model_label
from prunelab.plotting import training_curves
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
save_figure(training_curves(pd.read_csv(snakemake.input[0]), model_label(snakemake.output[0])), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
