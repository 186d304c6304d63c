"""Time every pruned model of one trained model, alone on the machine (see prunelab.measuring.latency)."""

from prunelab.plumbing.runtime import pin_threads

pin_threads(1)  # one thread, whatever Snakemake exported: the job takes every core only to run alone

from pathlib import Path  # noqa: E402

from prunelab.data.loading import features, load_split  # noqa: E402
from prunelab.measuring.latency import latency_rows  # noqa: E402
from prunelab.methods.pruning import prune  # noqa: E402
from prunelab.methods.scope import pruned_layers  # noqa: E402
from prunelab.models.network import Network  # noqa: E402
from prunelab.plumbing.fileio import read_json, write_json  # noqa: E402
from prunelab.plumbing.jobs import redone_methods  # noqa: E402
from prunelab.plumbing.runtime import script_logger  # noqa: E402
from prunelab.results.records import identity  # noqa: E402

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
architecture = trained["spec"]["architecture"]
network = Network.load(snakemake.input.weights, architecture)
batch_sizes, repeats = snakemake.params.batch_sizes, snakemake.params.repeats
data_dir = Path(snakemake.input.data).parent
images, _ = load_split(data_dir, trained["dataset"], "test")
x = features(architecture, images[: max(batch_sizes, default=1)])
layers = pruned_layers(network, snakemake.params.selection)
rows, measured = [], {}  # dense forms of equal shapes are timed once (prunelab.measuring.latency)
for method, data in redone_methods(snakemake.params.methods, trained, data_dir):
    for k in snakemake.params.k:
        pruned, _ = prune(network, method, k, layers, seed=trained["seed"], data=data)
        timed = latency_rows(pruned, x, batch_sizes, repeats, measured)
        rows += [{**identity(trained, snakemake.wildcards.scope, method.name, k), **row} for row in timed]
        log.info("%s k=%s: %s", method.name, k, ", ".join(f"{r['runtime']} {r['form']} b{r['batch_size']} "
                                                          f"{r['median_ms']:.3f} ms" for r in timed))
write_json(snakemake.output[0], {"rows": rows})
