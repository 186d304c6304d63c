# Pruning methods that train (prunelab.pruning.Method.trains): each job trains like the
# training rule (its threads and memory) and writes metrics.json, weights.npz and history.csv.


rule gradual:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{GRADUAL}/metrics.json",
        weights=f"{GRADUAL}/weights.npz",
        history=f"{GRADUAL}/history.csv",
    log:
        f"{LOGS}/gradual/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}-{gradual_id(config)}.log",
    benchmark:
        f"{BENCHMARKS}/gradual/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}-{gradual_id(config)}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        gradual=gradual_settings(config),
        code=CODE["gradual"],
    script:
        "../scripts/gradual.py"


rule prune_at_init:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{AT_INIT_RESULT}/metrics.json",
        weights=f"{AT_INIT_RESULT}/weights.npz",
        history=f"{AT_INIT_RESULT}/history.csv",
    log:
        f"{LOGS}/prune_at_init/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{at_init_id}}.log",
    benchmark:
        f"{BENCHMARKS}/prune_at_init/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{at_init_id}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        settings=settings_of,
        code=CODE["prune_at_init"],
    script:
        "../scripts/prune_at_init.py"


rule lottery:
    input:
        unpack(previous_round),
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{LOTTERY}/metrics.json",
        weights=f"{LOTTERY}/weights.npz",
        masks=f"{LOTTERY}/masks.npz",
        history=f"{LOTTERY}/history.csv",
    log:
        f"{LOGS}/lottery/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.log",
    benchmark:
        f"{BENCHMARKS}/lottery/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        layers=LAYERS,
        lottery=LOTTERY_SETTINGS,
        code=CODE["lottery"],
    script:
        "../scripts/lottery.py"


rule lottery_reinit:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
        masks=f"{LOTTERY}/masks.npz",
    output:
        metrics=f"{LOTTERY}/reinit/metrics.json",
        weights=f"{LOTTERY}/reinit/weights.npz",
        history=f"{LOTTERY}/reinit/history.csv",
    log:
        f"{LOGS}/lottery_reinit/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.log",
    benchmark:
        f"{BENCHMARKS}/lottery_reinit/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        layers=LAYERS,
        lottery=LOTTERY_SETTINGS,
        code=CODE["lottery_reinit"],
    script:
        "../scripts/lottery_reinit.py"


rule scratch:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{SCRATCH}/metrics.json",
        weights=f"{SCRATCH}/weights.npz",
        history=f"{SCRATCH}/history.csv",
    log:
        f"{LOGS}/scratch/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}.log",
    benchmark:
        f"{BENCHMARKS}/scratch/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        code=CODE["scratch"],
    script:
        "../scripts/scratch.py"
