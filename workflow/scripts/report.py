"""Execute the report notebook on this run's results and render it to HTML."""

from pathlib import Path

from prunelab.report import render_report
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
absolute = lambda paths: [str(Path(p).resolve()) for p in paths]  # noqa: E731
parameters = {
    "metrics_path": str(Path(snakemake.input.metrics).resolve()),
    "latency_path": str(Path(snakemake.input.latency).resolve()),
    "table_paths": absolute(snakemake.input.tables),
    "history_paths": absolute(snakemake.input.histories),
    "distribution_paths": absolute(snakemake.input.distributions),
    "tolerance": snakemake.params.tolerance,
    "published": snakemake.params.published,
    "method_summaries": snakemake.params.method_summaries,
}
render_report(snakemake.input.notebook, snakemake.output.notebook, snakemake.output.html, parameters)
log.info("wrote %s and %s", snakemake.output.notebook, snakemake.output.html)
