"""The lottery tickets' control: one round's masks trained from fresh random initial values."""

from prunelab.jobs import PruningJob, load_masks
from prunelab.pruning import lottery_k
from prunelab.sparse_training import reinit_seed, train_with_masks
from prunelab.training import initial_network

job = PruningJob(snakemake)
round_number, settings = int(snakemake.wildcards.round), snakemake.params.lottery
images, labels = job.split("train")
masks = load_masks(snakemake.input.masks, job.network.num_layers)
seed = reinit_seed(job.seed, round_number)
network, masks, history = train_with_masks(images, labels, **job.training, start=initial_network(job.spec, seed),
                                           masks=masks)
job.save(job.record(method="lottery_reinit", k=lottery_k(settings["rate"], round_number), pruned=network,
                    masks=masks, round=round_number, lottery=settings, initial_seed=seed),
         network=network, history=history)
