"""One lottery-ticket round: prune the previous round's network, rewind, retrain, evaluate."""

from prunelab.jobs import PruningJob, load_masks
from prunelab.network import Network
from prunelab.pruning import lottery_k
from prunelab.sparse_training import lottery_round, rewind_point

job = PruningJob(snakemake)
round_number, settings = int(snakemake.wildcards.round), snakemake.params.lottery
images, labels = job.split("train")
previous, previous_masks = job.network, None
if round_number > 1:
    previous = Network.load(snakemake.input.previous_weights, job.spec["architecture"])
    previous_masks = load_masks(snakemake.input.previous_masks, previous.num_layers)
rewind = rewind_point(images, labels, **job.training, steps=settings["rewind"])
network, masks, history = lottery_round(images, labels, **job.training, trained=previous,
                                        previous_masks=previous_masks, rewind=rewind, layers=job.layers,
                                        rate=settings["rate"], output_rate=settings["output_rate"])
job.save(job.record(method="lottery", k=lottery_k(settings["rate"], round_number), pruned=network, masks=masks,
                    round=round_number, lottery=settings),
         network=network, history=history, masks=masks)
