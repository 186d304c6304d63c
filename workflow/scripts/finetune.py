"""Prune one trained model, retrain it with the mask fixed, and evaluate it on the test set."""

from prunelab.jobs import PruningJob
from prunelab.sparse_training import prune_and_finetune

job = PruningJob(snakemake)
method, k, settings = snakemake.wildcards.method, snakemake.params.k, snakemake.params.finetune
job.log.info("fine-tuning %s k=%s for %d epochs in %d rounds (lr %g)", method, k, settings["epochs"],
             settings["rounds"], settings["learning_rate"])
images, labels = job.split("train")
inputs = job.inputs(method, images, labels)
finetuned, masks, history = prune_and_finetune(images, labels, **job.training, network=job.network, method=method,
                                               k=k, layers=job.layers, settings=settings, inputs=inputs)
job.save(job.record(method=method, k=k, pruned=finetuned, masks=masks, finetune=settings), network=finetuned,
         history=history)
