rule aggregate:
    input:
        pruned=pruned_paths(),
        unpruned=unpruned_paths(),
        finetuned=finetuned_paths(),
        trained=PLAN.trained_results(),
        latency=latency_paths(),
    output:
        metrics=report(
            METRICS,
            caption="../../report/metrics.rst",
            category="Metrics",
        ),
        latency=report(
            LATENCY,
            caption="../../report/latency.rst",
            category="Metrics",
        ),
        tables=table_paths(),
    log:
        f"{LOGS}/aggregate/{EXPERIMENT}.log",
    benchmark:
        f"{BENCHMARKS}/aggregate/{EXPERIMENT}.tsv"
    conda:
        SUMMARIZING.conda
    threads: SUMMARIZING.threads
    resources:
        **SUMMARIZING.resources,
    params:
        code=code("aggregate"),
        table_pattern=lambda wildcards: TABLE,
        order=list(PLAN.presentation()),
        unpruned_methods=PLAN.unpruned_methods(),
    script:
        "../scripts/aggregate.py"
