rule prune:
    input:
        split_files("test"),
        train=prune_training_files,
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=PRUNED,
        pruned=PRUNED_MODEL,
    log:
        f"{LOGS}/prune/{SCOPED}/{{method}}-k{{k}}.log",
    benchmark:
        f"{BENCHMARKS}/prune/{SCOPED}/{{method}}-k{{k}}.tsv"
    conda:
        NUMPY.conda
    threads: NUMPY.threads
    resources:
        **NUMPY.resources,
    params:
        **PLAN.recalibration(),
        method=method_of,
        selection=SELECTION,
        settings=settings_of,
        code=method_code("prune"),
    script:
        "../scripts/prune.py"


# The trained model evaluated as is, once: every method's k = 0 row (a method's prune job at
# k = 0 would compute the same record, method by method).
rule evaluate_unpruned:
    input:
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=UNPRUNED,
    log:
        f"{LOGS}/evaluate_unpruned/{SCOPED}.log",
    benchmark:
        f"{BENCHMARKS}/evaluate_unpruned/{SCOPED}.tsv"
    conda:
        NUMPY.conda
    threads: NUMPY.threads
    resources:
        **NUMPY.resources,
    params:
        selection=SELECTION,
        code=code("evaluate_unpruned"),
    script:
        "../scripts/evaluate_unpruned.py"


rule finetune:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{FINETUNED}/metrics.json",
        weights=f"{FINETUNED}/weights.npz",
        history=f"{FINETUNED}/history.csv",
    log:
        f"{LOGS}/finetune/{SCOPED}/{{method}}-k{{k}}-{{finetune_id}}.log",
    benchmark:
        f"{BENCHMARKS}/finetune/{SCOPED}/{{method}}-k{{k}}-{{finetune_id}}.tsv"
    priority: TRAINING.priority
    conda:
        TRAINING.conda
    threads: TRAINING.threads
    resources:
        **TRAINING.resources,
    params:
        method=method_of,
        selection=SELECTION,
        finetune=lambda wildcards: PLAN.finetunes[wildcards.finetune_id],
        settings=settings_of,
        code=method_code("finetune"),
    script:
        "../scripts/finetune.py"


rule latency:
    # Timings of every pruned model of one trained model (all methods and k, as their prune
    # jobs wrote them, one warm process); kept apart from the prune jobs, whose results are
    # exactly reproducible. The job claims every core Snakemake may use, so no other job runs
    # beside it, whatever --cores says; it times one thread.
    input:
        split_files("test"),
        pruned=timed_models,
        quantized=timed_quantized_models,
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        LATENCY_RECORD,
    log:
        f"{LOGS}/latency/{SCOPED}/{LATENCY_ID}.log",
    benchmark:
        f"{BENCHMARKS}/latency/{SCOPED}/{LATENCY_ID}.tsv"
    conda:
        TIMING.conda
    threads: TIMING.threads
    resources:
        **TIMING.resources,
    params:
        methods=TIMED,
        k=[float(k) for k in K_VALUES],
        batch_sizes=config["efficiency"]["latency_batch_sizes"],
        repeats=config["efficiency"]["latency_repeats"],
        quantized=PLAN.timed_quantizations(),
        code=code("latency"),
    script:
        "../scripts/latency.py"
