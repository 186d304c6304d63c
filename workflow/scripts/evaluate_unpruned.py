"""Evaluate one trained model as is (k = 0) on the test set: every method's k = 0 row."""

from prunelab.methods.pruning import unpruned
from prunelab.plumbing.jobs import PruningJob

job = PruningJob(snakemake)
network, masks = unpruned(job.network, job.layers)
job.save(job.record(k=0.0, pruned=network, masks=masks))
