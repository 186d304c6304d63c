"""Execute the report notebook on this run's results and render it to HTML."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.results.report import render_report
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
# paths relative to the working directory, where the notebook runs: a moved project still works
parameters = {
    "metrics_path": snakemake.input.metrics,
    "latency_path": snakemake.input.latency,
    "table_paths": list(snakemake.input.tables),
    "history_paths": list(snakemake.input.histories),
    "distribution_paths": list(snakemake.input.distributions),
    "quantized_path": snakemake.input.quantized[0] if snakemake.input.quantized else "",
    "tolerance": snakemake.params.tolerance,
    "published": snakemake.params.published,
    "methods": snakemake.params.methods,
    "figure_paths": snakemake.params.figures,
}
render_report(snakemake.output.notebook, snakemake.output.html, parameters)
log.info("wrote %s and %s", snakemake.output.notebook, snakemake.output.html)
