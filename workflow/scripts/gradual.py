"""Prune one trained model gradually while training it (Zhu & Gupta), and evaluate it."""

from prunelab.jobs import PruningJob
from prunelab.sparse_training import gradual_prune

job = PruningJob(snakemake)
k, settings = snakemake.params.k, snakemake.params.gradual
images, labels = job.split("train")
network, masks, history = gradual_prune(images, labels, **job.training, network=job.network, k=k, layers=job.layers,
                                        settings=settings)
retraining = {"epochs": settings["epochs"], "rounds": 1, "learning_rate": settings["learning_rate"]}
job.save(job.record(method="gradual", k=k, pruned=network, masks=masks, finetune=retraining, schedule=settings),
         network=network, history=history)
