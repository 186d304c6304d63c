"""Prune one trained model, retrain it with the mask fixed, and evaluate it on the test set."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

import functools

from prunelab.methods.finetuning import prune_and_finetune
from prunelab.plumbing.jobs import PruningJob

job = PruningJob(snakemake)
settings = snakemake.params.finetune
job.log.info("fine-tuning %s k=%s for %d epochs in %d rounds (lr %g)", job.method.name, job.k, settings["epochs"],
             settings["rounds"], settings["learning_rate"])
images, labels = job.split("train")
finetuned, masks, history = prune_and_finetune(images, labels, fit_arguments=job.fit_arguments, network=job.network,
                                               method=job.method, k=job.k, layers=job.layers, settings=settings,
                                               data=functools.cache(lambda: job.pruning_data(images, labels)))
job.save(job.record(k=job.k, pruned=finetuned, masks=masks, finetune=settings), network=finetuned, history=history)
