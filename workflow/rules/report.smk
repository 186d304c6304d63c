rule plot_sweep:
    input:
        metrics=METRICS,
        latency=LATENCY,
    output:
        sweep=report(
            SWEEP_PLOT,
            caption="../../report/sweep.rst",
            category="Pruning sweeps",
            labels={"dataset": "{dataset}", "figure": "accuracy and loss vs k"},
        ),
        savings=report(
            SAVINGS_PLOT,
            caption="../../report/savings.rst",
            category="Pruning sweeps",
            labels={"dataset": "{dataset}", "figure": "real savings"},
        ),
        comparison=report(
            COMPARISON_PLOT,
            caption="../../report/comparison.rst",
            category="Pruning sweeps",
            labels={"dataset": "{dataset}", "figure": "methods compared"},
        ),
    log:
        f"{LOGS}/plot_sweep/{EXPERIMENT}/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/plot_sweep/{EXPERIMENT}/{{dataset}}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=CODE["plot_sweep"],
    script:
        "../scripts/plot_sweep.py"


rule plot_distributions:
    input:
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        report(
            DISTRIBUTIONS,
            caption="../../report/distributions.rst",
            category="Weight distributions",
            subcategory="{dataset}",
            labels={"model": "{train_id}", "seed": "{seed}"},
        ),
    log:
        f"{LOGS}/plot_distributions/{EXPERIMENT}/{{dataset}}/{{train_id}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/plot_distributions/{EXPERIMENT}/{{dataset}}/{{train_id}}/seed{{seed}}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=CODE["plot_distributions"],
        methods=DATA_FREE,
        k=[float(k) for k in K_VALUES],
        layers=LAYERS,
    script:
        "../scripts/plot_distributions.py"


rule report:
    input:
        metrics=METRICS,
        latency=LATENCY,
        tables=table_paths(),
        histories=per_training(f"{MODEL}/history.csv"),
        distributions=per_training(DISTRIBUTIONS) if DATA_FREE else [],
    output:
        notebook=f"{REPORT}.ipynb",
        html=f"{REPORT}.html",
    log:
        f"{LOGS}/report/{EXPERIMENT}.log",
    benchmark:
        f"{BENCHMARKS}/report/{EXPERIMENT}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=CODE["report"],
        tolerance=config["report"]["tolerance"],
        published=config["report"]["published"],
        method_summaries={method: REGISTRY[method].summary for method in METHODS},
    script:
        "../scripts/report.py"
