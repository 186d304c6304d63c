"""Fetch a researcher's own dataset (custom_datasets) verified by its SHA-256, every array checked."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from pathlib import Path

from prunelab.data.custom import fetch_custom
from prunelab.plumbing.fileio import write_json
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
dataset = snakemake.wildcards.dataset
record = fetch_custom(dataset, snakemake.params.entry, Path(snakemake.output.data).parent,
                      snakemake.config["data"]["url_timeout"])
log.info("%s fetched from %s and verified: %s", dataset, record["source"], record["images"])
write_json(snakemake.output.provenance, record)
