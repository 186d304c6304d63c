"""Evaluate one trained model as is (k = 0) on the test set: every method's k = 0 row."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.methods.pruning import unpruned
from prunelab.plumbing.jobs import PruningJob

job = PruningJob(snakemake)
network, masks = unpruned(job.network, job.layers)
job.save(job.record(k=0.0, pruned=network, masks=masks))
