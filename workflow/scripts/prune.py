"""Prune one trained model with a one-shot method at one k and evaluate it on the test set."""

from prunelab.methods.pruning import prune
from prunelab.plumbing.jobs import PruningJob

job = PruningJob(snakemake)
pruned, masks = prune(job.network, job.method, job.k, job.layers, seed=job.seed, data=job.pruning_data)
job.save(job.record(k=job.k, pruned=pruned, masks=masks), network=pruned)
