"""Training curves of one trained model, the kept epoch marked."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

import pandas as pd

from prunelab.plumbing.fileio import save_figure
from prunelab.plumbing.runtime import script_logger
from prunelab.results.plotting import model_label, training_curves

log = script_logger(snakemake.log[0])
save_figure(training_curves(pd.read_csv(snakemake.input[0]), model_label(snakemake.output[0])), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
