"""Collect every pruning record into one tidy metrics table plus per-configuration tables."""

from prunelab.fileio import atomic_output, read_json, write_text
from prunelab.runtime import script_logger
from prunelab.tables import latency_frame, metrics_frame, summarize, table_document

log = script_logger(snakemake.log[0])
metrics = metrics_frame([read_json(path) for path in [*snakemake.input.pruned, *snakemake.input.finetuned, *snakemake.input.trained]])
latency = latency_frame([row for path in snakemake.input.latency for row in read_json(path)["rows"]])
for frame, path in ((metrics, snakemake.output.metrics), (latency, snakemake.output.latency)):
    with atomic_output(path, "w") as handle:
        frame.to_csv(handle, index=False, float_format="%.10g")
log.info("%d pruned models in %s (latencies in %s)", len(metrics), snakemake.output.metrics, snakemake.output.latency)

for (dataset, train_id), summary in summarize(metrics).groupby(["dataset", "train_id"], sort=True):
    path = snakemake.params.table_pattern.format(dataset=dataset, train_id=train_id)
    write_text(path, table_document(summary))
    log.info("wrote %s", path)
