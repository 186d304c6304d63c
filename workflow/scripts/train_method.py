"""Run one method that trains (at initialization, while training, in rounds, from scratch) on one
trained model, and evaluate what it produced on the test set."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.plumbing.jobs import PruningJob

job = PruningJob(snakemake)
job.save_trained(job.method.train(job))
