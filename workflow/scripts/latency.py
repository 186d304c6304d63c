"""Time every pruned model of one trained model, alone on the machine (see prunelab.measuring.latency)."""

from prunelab.plumbing.runtime import pin_threads

pin_threads(1)  # one thread, whatever Snakemake exported: the job takes every core only to run alone

from pathlib import Path  # noqa: E402

from prunelab.data.loading import features, load_split  # noqa: E402
from prunelab.measuring.latency import latency_rows, quantized_latency_rows  # noqa: E402
from prunelab.models.network import Network  # noqa: E402
from prunelab.models.pruned_file import load_pruned  # noqa: E402
from prunelab.plumbing.fileio import read_json, write_json  # noqa: E402
from prunelab.plumbing.runtime import script_logger  # noqa: E402
from prunelab.results.records import identity  # noqa: E402

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
architecture = trained["spec"]["architecture"]
network = Network.load(snakemake.input.weights, architecture)
batch_sizes, repeats = snakemake.params.batch_sizes, snakemake.params.repeats
images, _ = load_split(Path(snakemake.input.data).parent, trained["dataset"], "test")
x = features(architecture, images[: max(batch_sizes, default=1)])
rows, measured = [], {}  # dense forms of equal shapes are timed once (prunelab.measuring.latency)
pruned_models = iter(snakemake.input.pruned)  # every method at every k above 0, in that order (the rule's)
unpruned = None  # k = 0, the trained model itself: timed once for every method's row
for method in snakemake.params.methods:
    for k in snakemake.params.k:
        if k > 0:
            timed = latency_rows(load_pruned(next(pruned_models), network), x, batch_sizes, repeats, measured)
        else:
            timed = unpruned = unpruned or latency_rows(network, x, batch_sizes, repeats, measured)
        rows += [{**identity(trained, snakemake.wildcards.scope, method, k), **row} for row in timed]
        log.info("%s k=%s: %s", method, k, ", ".join(f"{r['runtime']} {r['form']} b{r['batch_size']} "
                                                     f"{r['median_ms']:.3f} ms" for r in timed))
# the int8 files of the quantized ones (quantization.methods), in the order of params.quantized;
# the trained model's, every method's k = 0, timed once
quantized_timings = {}
for target, path in zip(snakemake.params.quantized, snakemake.input.quantized, strict=True):
    if path not in quantized_timings:
        quantized_timings[path] = quantized_latency_rows(target["quantizer"], Path(path).read_bytes(), x,
                                                         batch_sizes, repeats)
    timed = quantized_timings[path]
    rows += [{**identity(trained, snakemake.wildcards.scope, target["method"], float(target["k"])), **row}
             for row in timed]
    log.info("%s k=%s %s: %s", target["method"], target["k"], target["quantizer"],
             ", ".join(f"b{r['batch_size']} {r['median_ms']:.3f} ms" for r in timed))
write_json(snakemake.output[0], {"rows": rows})
