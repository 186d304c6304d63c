rule aggregate:
    input:
        pruned=pruned_paths(),
        finetuned=finetuned_paths(),
        trained=trained_method_paths(),
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
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=400,
        runtime=5,
    params:
        code=CODE["aggregate"],
        table_pattern=lambda wildcards: TABLE,
    script:
        "../scripts/aggregate.py"
