"""Prune the initialized network (SNIP, SynFlow), train it with the mask fixed, and evaluate it."""

from prunelab.jobs import PruningJob
from prunelab.sparse_training import train_at_init

job = PruningJob(snakemake)
method, k = snakemake.wildcards.method, snakemake.params.k
images, labels = job.split("train")
inputs = job.inputs(method, images, labels)
network, masks, history = train_at_init(images, labels, **job.training, method=method, k=k, layers=job.layers,
                                        inputs=inputs)
job.save(job.record(method=method, k=k, pruned=network, masks=masks, settings=job.settings), network=network,
         history=history)
