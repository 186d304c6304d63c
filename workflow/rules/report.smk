rule plot_sweep:
    input:
        metrics=METRICS,
        latency=LATENCY,
    output:
        sweep=sweep_figure(SWEEP_PLOT, "../../report/sweep.rst", "accuracy and loss vs k"),
        savings=sweep_figure(SAVINGS_PLOT, "../../report/savings.rst", "real savings"),
        comparison=sweep_figure(COMPARISON_PLOT, "../../report/comparison.rst", "methods compared"),
    log:
        f"{LOGS}/plot_sweep/{EXPERIMENT}/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/plot_sweep/{EXPERIMENT}/{{dataset}}.tsv"
    conda:
        PLOTTING.conda
    threads: PLOTTING.threads
    resources:
        **PLOTTING.resources,
    params:
        code=code("plot_sweep"),
        methods=PLAN.presentation(),
    script:
        "../scripts/plot_sweep.py"


rule plot_distributions:
    input:
        pruned=timed_models,
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        model_figure(DISTRIBUTIONS, "../../report/distributions.rst", "Weight distributions"),
    log:
        f"{LOGS}/plot_distributions/{EXPERIMENT}/{TRAINED_MODEL}.log",
    benchmark:
        f"{BENCHMARKS}/plot_distributions/{EXPERIMENT}/{TRAINED_MODEL}.tsv"
    conda:
        PLOTTING.conda
    threads: PLOTTING.threads
    resources:
        **PLOTTING.resources,
    params:
        code=code("plot_distributions"),
        # per method, whether it removes units (its histograms show unit norms, not |w|)
        removes_units={method: PLAN.methods[method].removes_units for method in TIMED},
        k=[float(k) for k in K_VALUES],
        selection=SELECTION,
    script:
        "../scripts/plot_distributions.py"


rule report:
    input:
        metrics=METRICS,
        latency=LATENCY,
        tables=table_paths(),
        histories=per_training(f"{MODEL}/history.csv"),
        distributions=per_training(DISTRIBUTIONS) if TIMED else [],
        quantized=[QUANTIZED_TABLE] if config["quantization"]["methods"] else [],
        figures=[path for figures in sweep_figures().values() for path in figures.values()],
    output:
        notebook=f"{REPORT}.ipynb",
        html=f"{REPORT}.html",
    log:
        f"{LOGS}/report/{EXPERIMENT}.log",
    benchmark:
        f"{BENCHMARKS}/report/{EXPERIMENT}.tsv"
    conda:
        REPORTING.conda
    threads: REPORTING.threads
    resources:
        **REPORTING.resources,
    params:
        code=code("report"),
        tolerance=config["report"]["tolerance"],
        published=config["report"]["published"],
        methods=PLAN.presentation(),
        figures=sweep_figures(),
    script:
        "../scripts/report.py"
