# Neural-network pruning workflow: data -> train -> prune -> aggregate -> report.
# Run `snakemake --cores 4`; see README.md.
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


configfile: Path(workflow.basedir, "config.yaml")


report: "report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/prune.smk"
include: "workflow/rules/methods.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/quantize.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        METRICS,
        table_paths(),
        sweep_plot_paths(),
        f"{REPORT}.html",
        per_training(f"{MODEL}/curves.png"),
        exported_paths(),
        [QUANTIZED_TABLE] if config["quantization"]["methods"] else [],
