"""Collect every pruning record into one tidy metrics table plus per-configuration tables."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.plumbing.fileio import atomic_output, read_json, write_text
from prunelab.plumbing.runtime import script_logger
from prunelab.results.tables import latency_frame, method_rows, metrics_frame, summarize, table_document

log = script_logger(snakemake.log[0])
records = [read_json(path) for path in [*snakemake.input.pruned, *snakemake.input.finetuned, *snakemake.input.trained]]
records += [row for path in snakemake.input.unpruned
            for row in method_rows(read_json(path), snakemake.params.unpruned_methods)]
metrics = metrics_frame(records)
latency = latency_frame([row for path in snakemake.input.latency for row in read_json(path)["rows"]])
for frame, path in ((metrics, snakemake.output.metrics), (latency, snakemake.output.latency)):
    with atomic_output(path, "w") as handle:
        frame.to_csv(handle, index=False, float_format="%.10g")
log.info("%d pruned models in %s (latencies in %s)", len(metrics), snakemake.output.metrics, snakemake.output.latency)

for (dataset, train_id), summary in summarize(metrics).groupby(["dataset", "train_id"], sort=True):
    path = snakemake.params.table_pattern.format(dataset=dataset, train_id=train_id)
    write_text(path, table_document(summary, snakemake.params.order))
    log.info("wrote %s", path)
