"""Time every pruned model of one trained model, alone on the machine (see prunelab.latency)."""

from prunelab.runtime import pin_threads

pin_threads(1)  # one thread, whatever Snakemake exported: the job takes every core only to run alone

from pathlib import Path  # noqa: E402

from prunelab.fileio import read_json, write_json  # noqa: E402
from prunelab.latency import latency_rows  # noqa: E402
from prunelab.loading import load_split  # noqa: E402
from prunelab.network import Network, features  # noqa: E402
from prunelab.pruning import prune, select_layers  # noqa: E402
from prunelab.records import identity  # noqa: E402
from prunelab.runtime import script_logger  # noqa: E402

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
architecture = trained["spec"]["architecture"]
network = Network.load(snakemake.input.weights, architecture)
batch_sizes, repeats = snakemake.params.batch_sizes, snakemake.params.repeats
images, _ = load_split(Path(snakemake.input.data).parent, trained["dataset"], "test")
x = features(architecture, images[: max(batch_sizes, default=1)])
layers = select_layers(network, snakemake.params.layers)
rows = []
for method in snakemake.params.methods:
    for k in snakemake.params.k:
        pruned, _ = prune(network, method, k, layers, seed=trained["seed"])
        timed = latency_rows(pruned, x, batch_sizes, repeats)
        rows += [{**identity(trained, snakemake.wildcards.scope, method, k), **row} for row in timed]
        log.info("%s k=%s: %s", method, k, ", ".join(f"{r['runtime']} {r['form']} b{r['batch_size']} "
                                                     f"{r['median_ms']:.3f} ms" for r in timed))
write_json(snakemake.output[0], {"rows": rows})
