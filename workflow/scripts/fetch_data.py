"""Fetch one dataset from the first configured source that delivers it verified."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from pathlib import Path

from prunelab.data.fetch import fetch_dataset
from prunelab.plumbing.fileio import write_json
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
dataset = snakemake.wildcards.dataset
data = snakemake.config["data"]
out_dir = Path(snakemake.output.provenance).parent
record = fetch_dataset(dataset, data["sources"][dataset], out_dir, data["url_timeout"])
for failure in record["failed_sources"]:
    log.info("source %s failed: %s", failure["source"], failure["error"])
log.info("%s fetched from %s and verified", dataset, record["source"])
write_json(snakemake.output.provenance, record)
