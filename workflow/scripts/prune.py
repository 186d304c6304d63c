"""Prune one trained model with a one-shot method at one k and evaluate it on the test set."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.methods.pruning import prune
from prunelab.plumbing.jobs import PruningJob

job = PruningJob(snakemake)
pruned, masks = prune(job.network, job.method, job.k, job.layers, seed=job.seed, data=job.pruning_data)
details = {}
if "recalibration" in snakemake.params.keys():  # pruning.recalibrate: the batch norms' statistics re-estimated
    pruned, details = job.recalibrated(pruned, snakemake.params.recalibration["images"])
job.save(job.record(k=job.k, pruned=pruned, masks=masks, **details), network=pruned)
