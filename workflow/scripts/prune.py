"""Prune one trained model with a one-shot method at one k and evaluate it on the test set."""

from prunelab.jobs import PruningJob
from prunelab.pruning import PruningInputs, prune

job = PruningJob(snakemake)
method, k = snakemake.wildcards.method, snakemake.params.k
inputs = PruningInputs()
if k > 0:
    images, labels = job.split("train") if snakemake.input.train else (None, None)
    inputs = job.inputs(method, images, labels)
pruned, masks = prune(job.network, method, k, job.layers, seed=job.seed, inputs=inputs)
job.save(job.record(method=method, k=k, pruned=pruned, masks=masks))
