"""Train the architecture that unit pruning leaves at one k from scratch (Liu et al.'s control)."""

from prunelab.jobs import PruningJob
from prunelab.sparse_training import train_scratch

job = PruningJob(snakemake)
k = snakemake.params.k
images, labels = job.split("train")
network, masks, history = train_scratch(images, labels, **job.training, trained=job.network, k=k, layers=job.layers)
job.save(job.record(method="scratch", k=k, pruned=network, masks=masks), network=network, history=history)
