"""Fetch CIFAR-10's binary archive from the first configured source that delivers it verified."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from pathlib import Path

from prunelab.data.cifar10 import fetch_cifar10
from prunelab.plumbing.fileio import write_json
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
record = fetch_cifar10(snakemake.params.sources, Path(snakemake.output.data).parent,
                       snakemake.config["data"]["url_timeout"])
for failure in record["failed_sources"]:
    log.info("source %s failed: %s", failure["source"], failure["error"])
log.info("cifar10 fetched from %s and verified: %s", record["source"], record["images"])
write_json(snakemake.output.provenance, record)
