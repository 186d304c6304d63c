"""Collect every quantization record into quantized.csv (docs/outputs.md)."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.plumbing.fileio import atomic_output, read_json
from prunelab.plumbing.runtime import script_logger
from prunelab.results.quantized_table import quantized_frame
from prunelab.results.tables import method_rows

log = script_logger(snakemake.log[0])
records = []
for path in snakemake.input:
    record = read_json(path)
    # the trained model quantized is the k = 0 row of every method with one
    records += method_rows(record, snakemake.params.unpruned_methods) if record["method"] is None else [record]
frame = quantized_frame(records)
with atomic_output(snakemake.output[0], "w") as handle:
    frame.to_csv(handle, index=False, float_format="%.10g")
log.info("%d quantized models in %s", len(frame), snakemake.output[0])
