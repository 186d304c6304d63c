rule prune:
    input:
        split_files("test"),
        train=prune_training_files,
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        PRUNED,
    log:
        f"{LOGS}/prune/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}.log",
    benchmark:
        f"{BENCHMARKS}/prune/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        method="{method}",
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        settings=settings_of,
        code=CODE["prune"],
    script:
        "../scripts/prune.py"


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
        f"{LOGS}/finetune/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{finetune_id}}.log",
    benchmark:
        f"{BENCHMARKS}/finetune/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{finetune_id}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        method="{method}",
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        finetune=lambda wildcards: FINETUNES[wildcards.finetune_id],
        settings=settings_of,
        code=CODE["finetune"],
    script:
        "../scripts/finetune.py"


rule latency:
    # Timings of every pruned model of one trained model (all methods and k, one warm
    # process); kept apart from the prune jobs, whose results are exactly reproducible. The
    # job claims every core Snakemake may use, so no other job runs beside it, whatever
    # --cores says; it times one thread.
    input:
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        LATENCY_RECORD,
    log:
        f"{LOGS}/latency/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{LATENCY_ID}.log",
    benchmark:
        f"{BENCHMARKS}/latency/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{LATENCY_ID}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: ALL_CORES
    resources:
        mem_mb=500,
        runtime=10,
    params:
        methods=DATA_FREE,
        k=[float(k) for k in K_VALUES],
        layers=LAYERS,
        batch_sizes=config["efficiency"]["latency_batch_sizes"],
        repeats=config["efficiency"]["latency_repeats"],
        code=CODE["latency"],
    script:
        "../scripts/latency.py"
